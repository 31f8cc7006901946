import GatewayCore
import NIOCore
import Redis
import Synchronization

/// Throttle and quota counters shared by a fleet through Redis: each decision is one atomic script (check every
/// bucket and the quota, then take from all or none) on the server's clock, so N instances enforce one limit, not
/// N. A request waits at most `budget` for it; past that, or while Redis is unavailable, `onUnavailable` decides:
/// the instance's local share, admit, or refuse.
public final class RedisLimitStore: LimitStore, TickBatchSender {
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

    /// Adds the decision to its loop's batch, in the group of an earlier decision asking the same (looked for among
    /// the batch's last few groups), sent when the tick's other work is done or the loop's previous call is back;
    /// answers within the budget whatever Redis does.
    func decide(_ request: LimitRequest, now: EpochNanoseconds, completion: @escaping @Sendable (OperationResult) -> Void) {
        let eventLoop = RedisPool.currentOrAnyLoop()
        guard eventLoop.inEventLoop else {
            eventLoop.execute { self.decide(request, now: now, completion: completion) }
            return
        }
        let box = batches.batch(of: eventLoop)
        let batch = box.value
        let sameTime = clockSource == .server
        if let group = batch.groups.indices.reversed().prefix(Self.groupsSearched).first(where: { index in
            let first = batch.entries[batch.groups[index].firstEntry]
            return (sameTime || first.now == now) && first.request.asksTheSame(as: request)
        }) {
            batch.entries.append(LimitDecision(request: request, now: now, completion: completion, group: group,
                                               position: Int(batch.groups[group].size)))
            batch.groups[group].size += 1
        } else {
            batch.arguments.append(clockSource.argument(now))
            batch.groups.append(.init(firstEntry: batch.entries.count, sizeArgument: batch.arguments.count, size: 1))
            batch.entries.append(LimitDecision(request: request, now: now, completion: completion,
                                               group: batch.groups.count - 1, position: 0))
            batch.arguments.append(1)  // the group's size, set when sent
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
        }
        batch.joined(by: self, on: eventLoop, budget: budget)
    }

    /// How many of a batch's latest groups a decision is compared with: enough for a busy route or key, and a
    /// bound on the work when every request of a batch asks something different.
    static let groupsSearched = 8

    func call(_ batch: TickBatch<LimitDecision>.Taken, on eventLoop: EventLoop, within budget: TimeAmount)
        -> EventLoopFuture<RESPValue> {
        pool.evaluate(LimitScripts.acquire, keys: batch.keys, arguments: batch.arguments, on: eventLoop, within: budget)
    }

    /// Each request of a batch gets its outcome from its group's part of the script's reply, or, when the call
    /// failed or its reply is not the script's shape, `onUnavailable`'s.
    func answer(_ entries: [LimitDecision], with result: Result<RESPValue, any Error>) {
        let failure: String
        switch result {
        case .success(let reply):
            if let decisions = Self.groupDecisions(in: reply, for: entries) {
                for entry in entries {
                    let outcome = decisions[entry.group].outcome(at: entry.position, of: entry.request)
                    if let quota = entry.request.quota, let left = outcome.quota?.remaining {
                        local.noteFleetUsage(quota, used: quota.quota.limit - left)
                    }
                    entry.completion(.success(outcome))
                }
                return
            }
            failure = "unexpected reply to the limit script: \(reply)"
        case .failure(let error):
            failure = RedisClientError.reason(error, budget: budget)
        }
        availability.reportFailure(failure)
        for entry in entries { entry.completion(.success(unavailableOutcome(entry.request, now: entry.now))) }
    }

    /// The script's reply read as one decision per group of `entries` (in the order the groups were made), nil
    /// unless it is exactly that shape.
    static func groupDecisions(in reply: RESPValue, for entries: [LimitDecision]) -> [LimitGroupDecision]? {
        guard let values = reply.array else { return nil }
        var decisions: [LimitGroupDecision] = []
        var position = 0
        for entry in entries where entry.position == 0 {
            var bucketCount = 0
            entry.request.forEachBucket { _ in bucketCount += 1 }
            guard entry.group == decisions.count,
                  let (decision, next) = LimitGroupDecision.parse(values, at: position, bucketCount: bucketCount)
            else { return nil }
            decisions.append(decision)
            position = next
        }
        guard position == values.count else { return nil }
        return decisions
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
