import GatewayCore
import Testing

/// What every `RateWindowStore` must do, whatever keeps its windows: the memory store runs these in
/// GatewayCoreTests, the Redis store against a real server in FleetStateTests.
public enum RateWindowStoreConformance {
    static let window = Duration.seconds(60)
    static let windowNanos: Int64 = 60_000_000_000
    static let start: EpochNanoseconds = 1_800_000_000 * 1_000_000_000

    /// Every check on a fresh store; `requests` scales the long random run (a shared store pays a round trip each).
    public static func run(_ label: String, requests: Int = 20_000, makeStore: () async throws -> any RateWindowStore) async throws {
        try await aBlockRuleAdmitsExactlyTheLimitAndReleasesAsTheWindowSlides(makeStore())
        try await noWindowEverAdmitsMoreThanTheLimit(makeStore(), requests: requests)
        try await countRulesCountEveryRequestAndReportOverTheLimit(makeStore())
        try await hitsAreRecordedInOrderUntilOneDecides(makeStore())
        try await aReloadWithTheSameRuleKeepsItsCounts(makeStore())
        try await keysOverTheLimitAreListedWithTheirRelease(makeStore())
    }

    public static func record(_ store: any RateWindowStore, _ hits: [RateHit], at now: EpochNanoseconds) async throws -> RateRecord {
        switch store.record(hits, now: now) {
        case .ready(let record):
            return record
        case .pending(let operation):
            let result = await withCheckedContinuation { continuation in
                operation.start { continuation.resume(returning: $0) }
            }
            return try #require(try result.get() as? RateRecord)
        }
    }

    public static func hit(_ store: any RateWindowStore, _ key: String, limit: Int, countsRefused: Bool = false,
                           rule: String = "r", maxKeys: Int = 1000, label: String? = nil) -> RateHit {
        RateHit(window: store.window(for: RateRuleID(rule: rule, key: "ip", windowNanoseconds: windowNanos),
                                     maxTrackedKeys: maxKeys),
                key: .text(key), label: label, limit: limit, countsRefused: countsRefused, decides: !countsRefused)
    }

    static func aBlockRuleAdmitsExactlyTheLimitAndReleasesAsTheWindowSlides(_ store: any RateWindowStore) async throws {
        let clock = ManualClock(start)
        let h = hit(store, "a", limit: 5)
        var admitted = 0
        // Ten times the limit, spread over the first tenth of the window.
        for _ in 0..<50 {
            if try await record(store, [h], at: clock.now()).decidingHit == nil { admitted += 1 }
            clock.advance(by: .milliseconds(120))
        }
        #expect(admitted == 5)
        // Still blocked just before the first admitted request leaves the window...
        clock.advance(by: window - .milliseconds(6000) - .milliseconds(600))
        #expect(try await record(store, [h], at: clock.now()).decidingHit == 0)
        // ...and released at most one slot (window/128) after it has.
        clock.advance(by: .milliseconds(600) + window / 128 * 2)
        #expect(try await record(store, [h], at: clock.now()).decidingHit == nil)
    }

    static func noWindowEverAdmitsMoreThanTheLimit(_ store: any RateWindowStore, requests: Int) async throws {
        let clock = ManualClock(start)
        let h = hit(store, "a", limit: 100)
        var admittedAt: [EpochNanoseconds] = []
        var generator = UInt64(11)
        for _ in 0..<requests {
            generator = generator &* 6364136223846793005 &+ 1442695040888963407
            clock.advance(by: .milliseconds(Int64(generator >> 33) % 40))
            if try await record(store, [h], at: clock.now()).decidingHit == nil { admittedAt.append(clock.now()) }
        }
        // Slide a window of exactly 60 s over every admitted request: never more than the limit inside it.
        var start = 0
        var worst = 0
        for end in admittedAt.indices {
            while admittedAt[end] - admittedAt[start] >= windowNanos { start += 1 }
            worst = max(worst, end - start + 1)
        }
        #expect(worst <= 100)
        // And under steady overload the limit is used, not wasted.
        let seconds = Double(admittedAt.last! - admittedAt.first!) / 1e9
        #expect(Double(admittedAt.count) >= seconds / 60 * 100 * 0.97)
    }

    static func countRulesCountEveryRequestAndReportOverTheLimit(_ store: any RateWindowStore) async throws {
        let h = hit(store, "a", limit: 3, countsRefused: true)
        var over: [Bool] = []
        for _ in 0..<6 { over.append(try await record(store, [h], at: start).isOverLimit(0)) }
        #expect(over == [false, false, false, true, true, true])
    }

    static func hitsAreRecordedInOrderUntilOneDecides(_ store: any RateWindowStore) async throws {
        let counting = hit(store, "a", limit: 1, countsRefused: true, rule: "count")
        let blocking = hit(store, "a", limit: 1, rule: "block")
        let later = hit(store, "a", limit: 1000, countsRefused: true, rule: "later")
        _ = try await record(store, [counting, blocking, later], at: start)
        let second = try await record(store, [counting, blocking, later], at: start)
        #expect(second.isOverLimit(0) && second.isOverLimit(1) && !second.isOverLimit(2))
        #expect(second.decidingHit == 1)
        // The third rule never saw the second request.
        let statuses = await store.keys(of: later.window, atOrAbove: 1, now: start)
        #expect(statuses.map(\.count) == [1])
    }

    static func aReloadWithTheSameRuleKeepsItsCounts(_ store: any RateWindowStore) async throws {
        let id = RateRuleID(rule: "reload", key: "ip", windowNanoseconds: windowNanos)
        let first = RateHit(window: store.window(for: id, maxTrackedKeys: 10), key: .text("k"), label: nil, limit: 1,
                            countsRefused: false, decides: true)
        #expect(try await record(store, [first], at: start).decidingHit == nil)
        let again = RateHit(window: store.window(for: id, maxTrackedKeys: 10), key: .text("k"), label: nil, limit: 1,
                            countsRefused: false, decides: true)
        #expect(try await record(store, [again], at: start).decidingHit == 0)
        // A rule whose window changes starts afresh.
        let longer = RateRuleID(rule: "reload", key: "ip", windowNanoseconds: windowNanos * 2)
        let fresh = RateHit(window: store.window(for: longer, maxTrackedKeys: 10), key: .text("k"), label: nil, limit: 1,
                            countsRefused: false, decides: true)
        #expect(try await record(store, [fresh], at: start).decidingHit == nil)
    }

    static func keysOverTheLimitAreListedWithTheirRelease(_ store: any RateWindowStore) async throws {
        let a = hit(store, "a", limit: 2, rule: "listed")
        let b = hit(store, "b", limit: 2, rule: "listed")
        let secret = hit(store, "s", limit: 2, rule: "listed", label: "…cret")
        for _ in 0..<3 { _ = try await record(store, [a], at: start) }
        _ = try await record(store, [b], at: start)
        for _ in 0..<2 { _ = try await record(store, [secret], at: start) }
        let statuses = await store.keys(of: a.window, atOrAbove: 2, now: start)
        #expect(statuses.map(\.key).sorted() == ["a", "…cret"])
        #expect(statuses.map(\.count) == [2, 2])
        let release = try #require(statuses.first?.releasedAt)
        #expect(release > start + windowNanos && release <= start + windowNanos + 2 * windowNanos / 128)
    }
}
