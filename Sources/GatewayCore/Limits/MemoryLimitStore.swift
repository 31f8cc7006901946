import Synchronization

/// Buckets and quotas of one instance, behind one lock: a decision touches at most five buckets and a quota for a
/// few dozen nanoseconds, so one lock across event loops keeps every limit exact (one limit, not one per loop)
/// without measurable contention.
///
/// Persistence hooks: `restore` seeds counters before the first request, and `drainChanges` hands the writer the
/// counters changed since its last call, so the disk is written in batches off the event loops.
public final class MemoryLimitStore: LimitStore {
    private struct Table {
        var bucketSlots: [LimitID: Int] = [:]
        var quotaSlots: [LimitID: Int] = [:]
        /// nil until first used: a bucket starts full.
        var buckets: [TokenBucket?] = []
        var bucketIDs: [LimitID] = []
        var quotas: [QuotaCounter] = []
        var quotaIDs: [LimitID] = []
        /// Persisted state not yet claimed by a config's handle.
        var restored: [LimitID: PersistedLimit] = [:]
        var dirtyBuckets: [Int] = []
        var bucketIsDirty: [Bool] = []
        var dirtyQuotas: [Int] = []
        var quotaIsDirty: [Bool] = []

        mutating func markBucket(_ slot: Int) {
            if !bucketIsDirty[slot] { bucketIsDirty[slot] = true; dirtyBuckets.append(slot) }
        }

        mutating func markQuota(_ slot: Int) {
            if !quotaIsDirty[slot] { quotaIsDirty[slot] = true; dirtyQuotas.append(slot) }
        }
    }

    /// One quota's count: the period it counts and how many requests it admitted in it. `periodEnd` is kept so
    /// a request inside the period does no calendar arithmetic.
    struct QuotaCounter {
        var periodStart: EpochNanoseconds = .min
        var periodEnd: EpochNanoseconds = .min
        var used: Int64 = 0
    }

    private let table = Mutex(Table())

    public init() {}

    public func bucket(_ id: LimitID, throttle: Throttle, policy: LimitPolicyName) -> BucketHandle {
        let slot = table.withLock { table in
            if let slot = table.bucketSlots[id] { return slot }
            let slot = table.buckets.count
            table.bucketSlots[id] = slot
            table.bucketIDs.append(id)
            if case .bucket(_, let units, let updatedAt)? = table.restored.removeValue(forKey: id) {
                table.buckets.append(TokenBucket(restoredUnits: units, updatedAt: updatedAt))
            } else {
                table.buckets.append(nil)
            }
            table.bucketIsDirty.append(false)
            return slot
        }
        return BucketHandle(id: id, throttle: throttle, policy: policy, slot: slot)
    }

    public func quota(_ id: LimitID, quota: Quota) -> QuotaHandle {
        let slot = table.withLock { table in
            if let slot = table.quotaSlots[id] { return slot }
            let slot = table.quotas.count
            table.quotaSlots[id] = slot
            table.quotaIDs.append(id)
            if case .quota(_, let periodStart, let used)? = table.restored.removeValue(forKey: id) {
                table.quotas.append(QuotaCounter(periodStart: periodStart, used: used))
            } else {
                table.quotas.append(QuotaCounter())
            }
            table.quotaIsDirty.append(false)
            return slot
        }
        return QuotaHandle(id: id, quota: quota, slot: slot)
    }

    public func acquire(_ request: LimitRequest, now: EpochNanoseconds) -> StoreReply<LimitOutcome> {
        .ready(acquireNow(request, now: now))
    }

    /// `acquire` without the reply wrapper, for callers that know the store is local.
    public func acquireNow(_ request: LimitRequest, now: EpochNanoseconds) -> LimitOutcome {
        table.withLock { table in
            // Check all: refill every bucket (refilling takes nothing) and find the longest wait among empty ones.
            var throttledFor: Int64 = -1
            request.forEachBucket { handle in
                var bucket = table.buckets[handle.slot] ?? TokenBucket(full: handle.throttle, at: now)
                bucket.refill(handle.throttle, now: now)
                if !bucket.hasToken { throttledFor = max(throttledFor, bucket.nanosecondsUntilToken(handle.throttle)) }
                table.buckets[handle.slot] = bucket
            }
            var quotaWindow: (start: EpochNanoseconds, end: EpochNanoseconds)?
            var quotaExhausted = false
            if let handle = request.quota {
                let counter = table.quotas[handle.slot]
                if now >= counter.periodStart && now < counter.periodEnd {
                    quotaWindow = (counter.periodStart, counter.periodEnd)
                } else {
                    let window = handle.quota.window(containing: now)
                    quotaWindow = window
                    if counter.periodStart != window.start {
                        table.quotas[handle.slot] = QuotaCounter(periodStart: window.start, periodEnd: window.end, used: 0)
                        table.markQuota(handle.slot)
                    } else {
                        table.quotas[handle.slot].periodEnd = window.end  // restored from disk without its end
                    }
                }
                quotaExhausted = table.quotas[handle.slot].used >= handle.quota.limit
            }
            let verdict: LimitOutcome.Verdict
            let retryAfter: Int64
            if quotaExhausted {
                // Waiting for tokens would not help: the quota decides when a retry can pass.
                verdict = .quotaExceeded
                retryAfter = quotaWindow!.end - now
            } else if throttledFor >= 0 {
                verdict = .throttled
                retryAfter = throttledFor
            } else {
                // Then take all.
                verdict = .admitted
                retryAfter = 0
                request.forEachBucket { handle in
                    table.buckets[handle.slot]!.take()
                    table.markBucket(handle.slot)
                }
                if let handle = request.quota {
                    table.quotas[handle.slot].used += 1
                    table.markQuota(handle.slot)
                }
            }
            var states = LimitStates()
            request.forEachBucket { handle in
                let bucket = table.buckets[handle.slot]!
                states.append(LimitState(remaining: bucket.tokens,
                                         resetNanoseconds: bucket.nanosecondsUntilFull(handle.throttle)))
            }
            let quotaState = request.quota.map { handle in
                LimitState(remaining: max(0, handle.quota.limit - table.quotas[handle.slot].used),
                           resetNanoseconds: quotaWindow!.end - now)
            }
            var outcome = LimitOutcome(verdict: verdict, retryAfter: retryAfter, buckets: states, quota: quotaState)
            if let quotaWindow { outcome.quotaPeriod = quotaWindow.end - quotaWindow.start }
            return outcome
        }
    }

    public func usage(of quota: QuotaHandle, now: EpochNanoseconds) async -> QuotaUsage {
        usageNow(of: quota, now: now)
    }

    public func usageNow(of quota: QuotaHandle, now: EpochNanoseconds) -> QuotaUsage {
        let window = quota.quota.window(containing: now)
        let used = table.withLock { table in
            table.quotas[quota.slot].periodStart == window.start ? table.quotas[quota.slot].used : 0
        }
        return QuotaUsage(limit: quota.quota.limit, used: used, periodStart: window.start, periodEnd: window.end)
    }

    // MARK: persistence

    /// Seeds counters from disk, normally before any config's handles exist (a handle claims its id's record);
    /// a counter already in use keeps its live state.
    public func restore(_ records: [PersistedLimit]) {
        table.withLock { table in
            for record in records {
                let id = LimitID(record.id)
                switch record {
                case .bucket(_, let units, let updatedAt):
                    if let slot = table.bucketSlots[id] {
                        if table.buckets[slot] == nil { table.buckets[slot] = TokenBucket(restoredUnits: units, updatedAt: updatedAt) }
                    } else {
                        table.restored[id] = record
                    }
                case .quota(_, let periodStart, let used):
                    if let slot = table.quotaSlots[id] {
                        if table.quotas[slot].periodStart == .min {
                            table.quotas[slot] = QuotaCounter(periodStart: periodStart, used: used)
                        }
                    } else {
                        table.restored[id] = record
                    }
                }
            }
        }
    }

    /// Marks counters changed again (a write that failed is retried with the next batch).
    public func markChanged(_ changes: [PersistedLimit]) {
        table.withLock { table in
            for change in changes {
                let id = LimitID(change.id)
                switch change {
                case .bucket: if let slot = table.bucketSlots[id] { table.markBucket(slot) }
                case .quota: if let slot = table.quotaSlots[id] { table.markQuota(slot) }
                }
            }
        }
    }

    /// The counters changed since the last call, for the writer to persist.
    public func drainChanges() -> [PersistedLimit] {
        table.withLock { table in
            var changes: [PersistedLimit] = []
            changes.reserveCapacity(table.dirtyBuckets.count + table.dirtyQuotas.count)
            for slot in table.dirtyBuckets {
                table.bucketIsDirty[slot] = false
                if let bucket = table.buckets[slot] {
                    changes.append(.bucket(id: table.bucketIDs[slot].text, units: bucket.units,
                                           updatedAt: bucket.updatedAt))
                }
            }
            for slot in table.dirtyQuotas {
                table.quotaIsDirty[slot] = false
                let counter = table.quotas[slot]
                changes.append(.quota(id: table.quotaIDs[slot].text, periodStart: counter.periodStart, used: counter.used))
            }
            table.dirtyBuckets.removeAll(keepingCapacity: true)
            table.dirtyQuotas.removeAll(keepingCapacity: true)
            return changes
        }
    }
}

/// One counter as written to disk.
public enum PersistedLimit: Sendable, Equatable {
    case bucket(id: String, units: Int64, updatedAt: EpochNanoseconds)
    case quota(id: String, periodStart: EpochNanoseconds, used: Int64)

    public var id: String {
        switch self {
        case .bucket(let id, _, _), .quota(let id, _, _): id
        }
    }
}
