import GatewayCore
import NIOCore
import Redis
import Synchronization

/// Throttle and quota counters shared by a fleet through Redis: each decision is one atomic script (check every
/// bucket and the quota, then take from all or none) on the server's clock, so N instances enforce one limit, not
/// N. A request waits at most `budget` for it; past that, or while Redis is unavailable, `onUnavailable` decides:
/// the instance's local share, admit, or refuse.
public final class RedisLimitStore: LimitStore {
    /// Whose clock the scripts use: the server's in production; the caller's `now` in tests of the arithmetic.
    public enum ClockSource: Sendable {
        case server
        case caller
    }

    /// The scripts a pool should load on each new connection.
    public static var scripts: [RedisScript] { LimitScripts.all + RateWindowScripts.all }

    let pool: RedisPool
    let availability: RedisAvailability
    let policy: RedisStateSettings.UnavailablePolicy
    let budget: TimeAmount
    let clockSource: ClockSource
    let fleet: FleetMembership?
    let clock: any GatewayClock
    let local = LocalShare()
    private let batches = TickBatches<LimitDecision>()
    /// Redis keys by handle slot, built once per handle.
    private let bucketKeys: RedisKeyTable
    private let quotaKeys: RedisKeyTable

    public init(pool: RedisPool, availability: RedisAvailability, settings: RedisStateSettings,
                fleet: FleetMembership? = nil, clockSource: ClockSource = .server,
                clock: any GatewayClock = SystemClock()) {
        self.clock = clock
        self.pool = pool
        self.availability = availability
        self.policy = settings.onUnavailable
        self.budget = .nanoseconds(RedisAvailability.nanoseconds(settings.budget))
        self.clockSource = clockSource
        self.fleet = fleet
        bucketKeys = RedisKeyTable(prefix: settings.keyPrefix + "b:")
        quotaKeys = RedisKeyTable(prefix: settings.keyPrefix + "q:")
        availability.onRecovery { [weak self] in await self?.resynchronise() ?? true }
    }

    public func bucket(_ id: LimitID, throttle: Throttle, policy: LimitPolicyName) -> BucketHandle {
        BucketHandle(id: id, throttle: throttle, policy: policy, slot: bucketKeys.slot(for: id))
    }

    public func quota(_ id: LimitID, quota: Quota) -> QuotaHandle {
        QuotaHandle(id: id, quota: quota, slot: quotaKeys.slot(for: id))
    }

    public func acquire(_ request: LimitRequest, now: EpochNanoseconds) -> StoreReply<LimitOutcome> {
        guard availability.isAvailable else { return .ready(unavailableOutcome(request, now: now)) }
        return .pending(RedisLimitOperation(store: self, request: request, now: now))
    }

    public func usage(of quota: QuotaHandle, now: EpochNanoseconds) async -> QuotaUsage {
        let reply = try? await pool.evaluate(LimitScripts.usage, keys: [quotaKeys[quota.slot]],
                                             arguments: [clockSource.argument(now), .string(quota.quota.period.rawValue),
                                                         .integer(Int64(quota.quota.offset))],
                                             on: RedisPool.currentOrAnyLoop()).get()
        if let values = reply?.array?.compactMap(\.integer), values.count == 3 {
            return QuotaUsage(limit: quota.quota.limit, used: values[0], periodStart: values[1] * 1000,
                              periodEnd: values[2] * 1000)
        }
        // Redis is away: the period from this instance's clock and the last count it heard.
        let window = quota.quota.window(containing: now)
        return QuotaUsage(limit: quota.quota.limit, used: local.lastSeenUsed(quota), periodStart: window.start,
                          periodEnd: window.end)
    }

    // MARK: one decision

    /// Adds the decision to its loop's batch, sent when the tick's other work is done; answers within the budget
    /// whatever Redis does.
    func decide(_ request: LimitRequest, now: EpochNanoseconds, completion: @escaping @Sendable (OperationResult) -> Void) {
        let eventLoop = RedisPool.currentOrAnyLoop()
        guard eventLoop.inEventLoop else {
            eventLoop.execute { self.decide(request, now: now, completion: completion) }
            return
        }
        let box = batches.batch(of: eventLoop)
        let batch = box.value
        batch.entries.append(LimitDecision(request: request, now: now, completion: completion))
        batch.arguments.append(clockSource.argument(now))
        batch.arguments.append(0)  // the bucket count, set below
        let countIndex = batch.arguments.count - 1
        batch.arguments.append(request.quota == nil ? "0" : "1")
        var bucketCount: Int64 = 0
        bucketKeys.withKeys { table in
            request.forEachBucket { handle in
                batch.keys.append(table[handle.slot])
                batch.arguments.append(.integer(handle.throttle.rateMilli))
                batch.arguments.append(.integer(handle.throttle.burst))
                bucketCount += 1
            }
        }
        batch.arguments[countIndex] = .integer(bucketCount)
        if let quota = request.quota {
            batch.keys.append(quotaKeys[quota.slot])
            batch.arguments.append(.integer(quota.quota.limit))
            batch.arguments.append(.string(quota.quota.period.rawValue))
            batch.arguments.append(.integer(Int64(quota.quota.offset)))
        }
        guard !batch.flushScheduled else { return }
        batch.flushScheduled = true
        eventLoop.execute { self.send(box.value.take(), on: eventLoop) }
    }

    /// One script call for a tick's decisions; each request gets its outcome, or `onUnavailable`'s.
    private func send(_ batch: (entries: [LimitDecision], keys: [RESPArgument], arguments: [RESPArgument]),
                      on eventLoop: EventLoop) {
        let entries = batch.entries
        pool.evaluate(LimitScripts.acquire, keys: batch.keys, arguments: batch.arguments, on: eventLoop, within: budget)
            .whenComplete { [self] result in
                var failure: String?
                switch result {
                case .success(let reply):
                    if let values = reply.array {
                        var position = 0
                        for entry in entries {
                            guard let (outcome, next) = Self.outcome(of: values, at: position, entry.request) else {
                                failure = "unexpected reply to the limit script: \(reply)"
                                break
                            }
                            position = next
                            if let quota = entry.request.quota, let left = outcome.quota?.remaining {
                                local.noteFleetUsage(quota, used: quota.quota.limit - left)
                            }
                            entry.completion(.success(outcome))
                        }
                        if failure == nil, position == values.count { return }
                        // A malformed reply: the requests not yet answered fall back (answered ones keep theirs).
                        availability.reportFailure(failure ?? "unexpected reply to the limit script: \(reply)")
                        for entry in entries.dropFirst(answeredCount(values, entries)) {
                            entry.completion(.success(unavailableOutcome(entry.request, now: entry.now)))
                        }
                        return
                    }
                    failure = "unexpected reply to the limit script: \(reply)"
                case .failure(let error):
                    failure = RedisClientError.reason(error, budget: budget)
                }
                availability.reportFailure(failure ?? "")
                for entry in entries { entry.completion(.success(unavailableOutcome(entry.request, now: entry.now))) }
            }
    }

    /// One request's part of the script's flat reply, from `position`, as an outcome (µs to ns), with where the
    /// next request's part starts; nil when it is not the shape the script returns.
    static func outcome(of values: [RESPValue], at position: Int, _ request: LimitRequest) -> (LimitOutcome, Int)? {
        var bucketCount = 0
        request.forEachBucket { _ in bucketCount += 1 }
        let end = position + 5 + 2 * bucketCount
        guard end <= values.count else { return nil }
        func value(_ offset: Int) -> Int64? { values[position + offset].integer }
        guard let verdictCode = value(0), let retry = value(1), let quotaLeft = value(2), let quotaReset = value(3),
              let quotaPeriod = value(4) else { return nil }
        let verdict: LimitOutcome.Verdict
        switch verdictCode {
        case 0: verdict = .admitted
        case 1: verdict = .throttled
        case 2: verdict = .quotaExceeded
        default: return nil
        }
        var states = LimitStates()
        for i in 0..<bucketCount {
            guard let remaining = value(5 + 2 * i), let reset = value(6 + 2 * i) else { return nil }
            states.append(LimitState(remaining: remaining, resetNanoseconds: reset * 1000))
        }
        let quota = request.quota == nil ? nil : LimitState(remaining: quotaLeft, resetNanoseconds: quotaReset * 1000)
        var outcome = LimitOutcome(verdict: verdict, retryAfter: retry * 1000, buckets: states, quota: quota)
        outcome.quotaPeriod = quotaPeriod * 1000
        return (outcome, end)
    }

    /// How many of `entries` a malformed reply still answered (the ones before the first bad part).
    private func answeredCount(_ values: [RESPValue], _ entries: [LimitDecision]) -> Int {
        var position = 0
        var answered = 0
        for entry in entries {
            guard let (_, next) = Self.outcome(of: values, at: position, entry.request) else { break }
            position = next
            answered += 1
        }
        return answered
    }

    // MARK: without Redis

    /// `onUnavailable`: the local share, everything admitted, or everything refused for a second.
    func unavailableOutcome(_ request: LimitRequest, now: EpochNanoseconds) -> LimitOutcome {
        switch policy {
        case .local:
            return local.acquire(request, instances: fleet?.liveInstances ?? 1, now: now)
        case .allow, .deny:
            var states = LimitStates()
            request.forEachBucket { handle in
                states.append(LimitState(remaining: policy == .allow ? handle.throttle.burst : 0, resetNanoseconds: 0))
            }
            let quota = request.quota.map { handle in
                LimitState(remaining: policy == .allow ? handle.quota.limit : 0, resetNanoseconds: 0)
            }
            return LimitOutcome(verdict: policy == .allow ? .admitted : .throttled,
                                retryAfter: policy == .allow ? 0 : 1_000_000_000, buckets: states, quota: quota)
        }
    }

    /// Redis is back: the quotas' local counts join the fleet's, all sent at once within a second. False when any
    /// could not be added (those are kept for the next attempt).
    func resynchronise() async -> Bool {
        let now = clock.now()
        let counts = local.drainQuotaCounts(now: now)
        guard !counts.isEmpty else { return true }
        let eventLoop = RedisPool.currentOrAnyLoop()
        var sent: [(LocalShare.QuotaCount, EventLoopFuture<RESPValue>)] = []
        for count in counts {
            guard let slot = quotaKeys.existingSlot(for: count.id) else { continue }
            sent.append((count, pool.evaluate(LimitScripts.addToQuota, keys: [quotaKeys[slot]], arguments: [
                clockSource.argument(now), .string(count.quota.period.rawValue), .integer(Int64(count.quota.offset)),
                .integer(count.periodStart / 1000), .integer(count.used),
            ], on: eventLoop, within: .seconds(1))))
        }
        var failed: [LocalShare.QuotaCount] = []
        for (count, reply) in sent {
            guard let value = try? await reply.get(), value.integer != nil else {
                failed.append(count)
                continue
            }
        }
        local.keepUnsynced(failed)
        return failed.isEmpty
    }
}

/// One decision waiting on Redis; the edge starts it on the request's loop.
final class RedisLimitOperation: PendingOperation, Sendable {
    let store: RedisLimitStore
    let request: LimitRequest
    let now: EpochNanoseconds

    init(store: RedisLimitStore, request: LimitRequest, now: EpochNanoseconds) {
        self.store = store
        self.request = request
        self.now = now
    }

    func start(_ completion: @escaping @Sendable (OperationResult) -> Void) {
        store.decide(request, now: now, completion: completion)
    }

    /// The script may already be on its way; its result is ignored by the edge.
    func cancel() {}
}
