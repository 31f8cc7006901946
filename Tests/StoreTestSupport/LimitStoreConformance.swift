import Testing
import GatewayCore

/// What every `LimitStore` must do, whatever keeps its counters: the memory store runs these here, and a shared
/// store (Redis, issue 17) runs the same suite against a real server.
public enum LimitStoreConformance {
    public static let second: Int64 = 1_000_000_000
    public static let now: EpochNanoseconds = 1_800_000_000 * second

    /// Every check, each on a fresh store from `makeStore`; `label` names the store in failures.
    public static func run(_ label: String, makeStore: () async throws -> any LimitStore) async throws {
        try await burstThenThrottle(makeStore())
        try await checkAllThenTakeAll(makeStore())
        try await quotaCountsOnlyAdmittedRequests(makeStore())
        try await quotaExhaustionAndNextPeriod(makeStore())
        try await quotaWinsOverThrottle(makeStore())
        try await sameIDSameCounters(makeStore())
        try await exactUnderConcurrency(makeStore())
    }

    /// Waits for a shared store's operation; a memory store answers at once.
    public static func acquire(_ store: any LimitStore, _ request: LimitRequest, at time: EpochNanoseconds) async throws
        -> LimitOutcome {
        switch store.acquire(request, now: time) {
        case .ready(let outcome):
            return outcome
        case .pending(let operation):
            let result = await withCheckedContinuation { continuation in
                operation.start { continuation.resume(returning: $0) }
            }
            return try #require(try result.get() as? LimitOutcome)
        }
    }

    static func burstThenThrottle(_ store: any LimitStore) async throws {
        let bucket = store.bucket(LimitID("c:burst"), throttle: Throttle(rateMilli: 4000, burst: 3), policy: .route)
        let request = LimitRequest(routeBuckets: [bucket])
        var remaining: [Int64] = []
        for _ in 0..<3 {
            let outcome = try await acquire(store, request, at: now)
            #expect(outcome.verdict == .admitted && outcome.retryAfter == 0)
            remaining.append(outcome.buckets[0].remaining)
        }
        #expect(remaining == [2, 1, 0])
        let refused = try await acquire(store, request, at: now)
        #expect(refused.verdict == .throttled)
        #expect(refused.retryAfter == second / 4)  // 4/s
        #expect(Array(refused.buckets) == [LimitState(remaining: 0, resetNanoseconds: 3 * second / 4)])
        #expect(try await acquire(store, request, at: now + second / 4 - 1).verdict == .throttled)
        #expect(try await acquire(store, request, at: now + second / 4).verdict == .admitted)
    }

    static func checkAllThenTakeAll(_ store: any LimitStore) async throws {
        let roomy = store.bucket(LimitID("c:roomy"), throttle: Throttle(rateMilli: 1000, burst: 10), policy: .api)
        let tight = store.bucket(LimitID("c:tight"), throttle: Throttle(rateMilli: 1000, burst: 1), policy: .plan)
        let both = LimitRequest(routeBuckets: [roomy], planBucket: tight)
        #expect(try await acquire(store, both, at: now).verdict == .admitted)
        for _ in 0..<5 {
            let refused = try await acquire(store, both, at: now)
            #expect(refused.verdict == .throttled)
            // The roomy bucket paid for the admitted request only.
            #expect(refused.buckets.map(\.remaining) == [9, 0])
        }
        let roomyAlone = try await acquire(store, LimitRequest(routeBuckets: [roomy]), at: now)
        #expect(roomyAlone.buckets[0].remaining == 8)
    }

    static func quotaCountsOnlyAdmittedRequests(_ store: any LimitStore) async throws {
        let bucket = store.bucket(LimitID("c:qb"), throttle: Throttle(rateMilli: 1000, burst: 2), policy: .plan)
        let quota = store.quota(LimitID("c:q"), quota: Quota(limit: 5, period: .day))
        let request = LimitRequest(routeBuckets: [], planBucket: bucket, quota: quota)
        let verdicts = try await (0..<5).asyncMap { _ in try await acquire(store, request, at: now).verdict }
        #expect(verdicts == [.admitted, .admitted, .throttled, .throttled, .throttled])
        let usage = await store.usage(of: quota, now: now)
        #expect(usage.used == 2 && usage.remaining == 3 && usage.limit == 5)
        let outcome = try await acquire(store, request, at: now + second)
        #expect(outcome.verdict == .admitted && outcome.quota?.remaining == 2)
    }

    static func quotaExhaustionAndNextPeriod(_ store: any LimitStore) async throws {
        let quota = store.quota(LimitID("c:q2"), quota: Quota(limit: 2, period: .day))
        let request = LimitRequest(routeBuckets: [], quota: quota)
        let window = quota.quota.window(containing: now)
        #expect(try await acquire(store, request, at: now).verdict == .admitted)
        #expect(try await acquire(store, request, at: now).verdict == .admitted)
        let refused = try await acquire(store, request, at: now + 5 * second)
        #expect(refused.verdict == .quotaExceeded)
        #expect(refused.retryAfter == window.end - now - 5 * second)
        #expect(refused.quota == LimitState(remaining: 0, resetNanoseconds: window.end - now - 5 * second))
        let usage = await store.usage(of: quota, now: now)
        #expect(usage == QuotaUsage(limit: 2, used: 2, periodStart: window.start, periodEnd: window.end))
        // A new period starts from zero, and the old period's count is not what the admin API shows.
        #expect(await store.usage(of: quota, now: window.end).used == 0)
        let next = try await acquire(store, request, at: window.end)
        #expect(next.verdict == .admitted && next.quota?.remaining == 1)
    }

    static func quotaWinsOverThrottle(_ store: any LimitStore) async throws {
        let bucket = store.bucket(LimitID("c:qt"), throttle: Throttle(rateMilli: 1000, burst: 1), policy: .plan)
        let quota = store.quota(LimitID("c:qt"), quota: Quota(limit: 1, period: .month))
        let request = LimitRequest(routeBuckets: [], planBucket: bucket, quota: quota)
        #expect(try await acquire(store, request, at: now).verdict == .admitted)
        // Both are empty now: waiting for a token would not help, so the quota's answer is the one given.
        let refused = try await acquire(store, request, at: now)
        #expect(refused.verdict == .quotaExceeded && refused.retryAfter > 86_400 * second)
    }

    static func sameIDSameCounters(_ store: any LimitStore) async throws {
        let first = store.bucket(LimitID("c:same"), throttle: Throttle(rateMilli: 1000, burst: 2), policy: .route)
        #expect(try await acquire(store, LimitRequest(routeBuckets: [first]), at: now).verdict == .admitted)
        // A reload compiles a new handle for the same limit: it sees the token already taken.
        let again = store.bucket(LimitID("c:same"), throttle: Throttle(rateMilli: 1000, burst: 2), policy: .route)
        #expect(try await acquire(store, LimitRequest(routeBuckets: [again]), at: now).buckets[0].remaining == 0)
        #expect(try await acquire(store, LimitRequest(routeBuckets: [first]), at: now).verdict == .throttled)
    }

    /// Eight tasks on the global executor ask for one bucket at once: exactly its burst gets through.
    static func exactUnderConcurrency(_ store: any LimitStore) async throws {
        let bucket = store.bucket(LimitID("c:race"), throttle: Throttle(rateMilli: 1000, burst: 1000), policy: .gateway)
        let quota = store.quota(LimitID("c:race"), quota: Quota(limit: 700, period: .day))
        let request = LimitRequest(routeBuckets: [bucket], quota: quota)
        let admitted = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var admitted = 0
                    for _ in 0..<200 where try await acquire(store, request, at: now).verdict == .admitted { admitted += 1 }
                    return admitted
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(admitted == 700)
        #expect(await store.usage(of: quota, now: now).used == 700)
        let tokens = try await acquire(store, LimitRequest(routeBuckets: [bucket]), at: now).buckets[0].remaining
        #expect(tokens == 1000 - 700 - 1)
    }
}

extension Sequence {
    public func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
