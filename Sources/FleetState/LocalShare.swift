import GatewayCore
import Synchronization

/// What an instance enforces on its own while Redis is away (`onUnavailable: "local"`): its share of every limit,
/// the limit divided by the live instances (learnt from the heartbeat), in a memory store. A quota's share is of
/// what was left when Redis was last heard from. When Redis is back, the quotas' local counts are added to the
/// fleet's and the local counters start afresh.
final class LocalShare: Sendable {
    private struct ScaledKey: Hashable {
        let id: LimitID
        let instances: Int
        let limit: Int64
    }

    private struct State {
        var store = MemoryLimitStore()
        /// Counts a resynchronisation could not deliver: offered again at the next one.
        var unsynced: [QuotaCount] = []
        var buckets: [ScaledKey: BucketHandle] = [:]
        var quotas: [ScaledKey: QuotaHandle] = [:]
        /// Each fleet quota's count as last seen from Redis, by quota id.
        var lastSeenUsed: [LimitID: Int64] = [:]
    }

    private let state = Mutex(State())

    /// Remembers a quota's fleet count from a Redis reply.
    func noteFleetUsage(_ quota: QuotaHandle, used: Int64) {
        state.withLock { $0.lastSeenUsed[quota.id] = used }
    }

    func lastSeenUsed(_ quota: QuotaHandle) -> Int64 {
        state.withLock { $0.lastSeenUsed[quota.id] ?? 0 }
    }

    func acquire(_ request: LimitRequest, instances: Int, now: EpochNanoseconds) -> LimitOutcome {
        let shares = max(1, instances)
        // Decided under this lock, so a drain never runs between choosing the store and counting in it.
        return state.withLock { state -> LimitOutcome in
            var local = LimitRequest(routeBuckets: request.routeBuckets.map { Self.scaled($0, shares, &state) })
            local.planBucket = request.planBucket.map { Self.scaled($0, shares, &state) }
            local.planRouteBucket = request.planRouteBucket.map { Self.scaled($0, shares, &state) }
            local.quota = request.quota.map { quota in
                let left = max(0, quota.quota.limit - (state.lastSeenUsed[quota.id] ?? 0))
                let key = ScaledKey(id: quota.id, instances: shares, limit: left / Int64(shares))
                if let handle = state.quotas[key] { return handle }
                let share = Quota(limit: key.limit, period: quota.quota.period, offset: quota.quota.offset)
                let handle = state.store.quota(quota.id, quota: share)
                state.quotas[key] = handle
                return handle
            }
            return state.store.acquireNow(local, now: now)
        }
    }

    /// One quota's count to add to the fleet's.
    struct QuotaCount: Sendable {
        let id: LimitID
        let quota: Quota
        let periodStart: EpochNanoseconds
        let used: Int64
    }

    /// The quotas counted locally since the outage began (and any a previous resynchronisation could not deliver),
    /// and a fresh start for the next outage.
    func drainQuotaCounts(now: EpochNanoseconds) -> [QuotaCount] {
        state.withLock { state in
            var seen = Set<LimitID>()
            var counts = state.unsynced
            for handle in state.quotas.values where seen.insert(handle.id).inserted {
                let usage = state.store.usageNow(of: handle, now: now)
                if usage.used > 0 {
                    counts.append(QuotaCount(id: handle.id, quota: handle.quota, periodStart: usage.periodStart,
                                             used: usage.used))
                }
            }
            state = State(lastSeenUsed: state.lastSeenUsed)
            return counts
        }
    }

    /// Counts that did not reach Redis, kept for the next resynchronisation.
    func keepUnsynced(_ counts: [QuotaCount]) {
        state.withLock { $0.unsynced.append(contentsOf: counts) }
    }

    /// The same bucket id at a share of its rate and burst: one counter whatever the share (the memory store clamps
    /// it to the current burst when the share shrinks).
    private static func scaled(_ bucket: BucketHandle, _ shares: Int, _ state: inout State) -> BucketHandle {
        let key = ScaledKey(id: bucket.id, instances: shares, limit: 0)
        if let handle = state.buckets[key] { return handle }
        let throttle = Throttle(rateMilli: max(1, bucket.throttle.rateMilli / Int64(shares)),
                                burst: max(1, bucket.throttle.burst / Int64(shares)))
        let handle = state.store.bucket(bucket.id, throttle: throttle, policy: bucket.policy)
        state.buckets[key] = handle
        return handle
    }
}
