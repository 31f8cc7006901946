/// Where throttles and quotas keep their counters: in memory for one instance (`MemoryLimitStore`, persisted by
/// the server); a shared store for a fleet answers later, which is why `acquire` may return a pending operation.
///
/// Every store passes `LimitStoreConformance` (in the tests): check all, then take all, atomically; a refused
/// request takes nothing; quotas count only admitted requests.
public protocol LimitStore: Sendable {
    /// A bucket's counters, looked up once when a config compiles: the same id gets the same tokens, so a reload
    /// (or, persisted, a restart) does not refill a bucket a client has emptied.
    func bucket(_ id: LimitID, throttle: Throttle, policy: LimitPolicyName) -> BucketHandle
    /// A quota's counter, by the same rule.
    func quota(_ id: LimitID, quota: Quota) -> QuotaHandle
    /// Admits the request only if every bucket has a token and the quota has room, and then takes one of each.
    func acquire(_ request: LimitRequest, now: EpochNanoseconds) -> StoreReply<LimitOutcome>
    /// The quota's count in the period holding `now` (the admin API's `/usage`).
    func usage(of quota: QuotaHandle, now: EpochNanoseconds) async -> QuotaUsage
}

/// Names one limit's counters across reloads and restarts ("route:orders GET /orders/{id}", "quota:gold:acme").
public struct LimitID: Hashable, Sendable, CustomStringConvertible {
    public let text: String
    public init(_ text: String) { self.text = text }
    public var description: String { text }
}

/// Which level a bucket limits, as the `RateLimit-Policy` header names it.
public enum LimitPolicyName: String, Sendable, Hashable {
    case gateway
    case api
    case route
    case plan
    case planRoute = "plan-route"
    case quota
}

/// One bucket as a config uses it: its settings, plus the store's own reference to its counters.
public final class BucketHandle: Sendable {
    public let id: LimitID
    public let throttle: Throttle
    public let policy: LimitPolicyName
    /// The store's own index of the counters (memory: a slot in its table).
    public let slot: Int

    public init(id: LimitID, throttle: Throttle, policy: LimitPolicyName, slot: Int) {
        self.id = id
        self.throttle = throttle
        self.policy = policy
        self.slot = slot
    }
}

/// One quota counter as a config uses it.
public final class QuotaHandle: Sendable {
    public let id: LimitID
    public let quota: Quota
    public let slot: Int

    public init(id: LimitID, quota: Quota, slot: Int) {
        self.id = id
        self.quota = quota
        self.slot = slot
    }
}

/// The limits one request must pass: the route's buckets (gateway, API, route; shared by every request on the
/// route, so the list is built once per config), then its key's plan bucket, plan route bucket and quota.
public struct LimitRequest: Sendable {
    public var routeBuckets: [BucketHandle]
    public var planBucket: BucketHandle?
    public var planRouteBucket: BucketHandle?
    public var quota: QuotaHandle?

    public init(routeBuckets: [BucketHandle], planBucket: BucketHandle? = nil, planRouteBucket: BucketHandle? = nil,
                quota: QuotaHandle? = nil) {
        self.routeBuckets = routeBuckets
        self.planBucket = planBucket
        self.planRouteBucket = planRouteBucket
        self.quota = quota
    }

    public var isEmpty: Bool { routeBuckets.isEmpty && planBucket == nil && planRouteBucket == nil && quota == nil }

    /// Every bucket, in order: route buckets, plan, plan route.
    public func forEachBucket(_ body: (BucketHandle) -> Void) {
        for bucket in routeBuckets { body(bucket) }
        if let planBucket { body(planBucket) }
        if let planRouteBucket { body(planRouteBucket) }
    }
}

/// What `acquire` decided, with each limit's state after it (for the `RateLimit` header).
public struct LimitOutcome: Sendable, Equatable {
    public enum Verdict: Sendable, Equatable {
        case admitted
        /// A bucket had no token: `retryAfter` is when every empty bucket has one again.
        case throttled
        /// The quota is used up: `retryAfter` is when its period ends.
        case quotaExceeded
    }

    public var verdict: Verdict
    /// Nanoseconds until a retry can pass (0 when admitted).
    public var retryAfter: Int64
    /// Per bucket in `LimitRequest.forEachBucket` order: whole tokens left and nanoseconds until full.
    public var buckets: [LimitState]
    /// The quota's requests left in its period and nanoseconds until the period ends.
    public var quota: LimitState?

    public init(verdict: Verdict, retryAfter: Int64, buckets: [LimitState], quota: LimitState?) {
        self.verdict = verdict
        self.retryAfter = retryAfter
        self.buckets = buckets
        self.quota = quota
    }
}

/// One limit's state after a decision.
public struct LimitState: Sendable, Equatable {
    public var remaining: Int64
    public var resetNanoseconds: Int64

    public init(remaining: Int64, resetNanoseconds: Int64) {
        self.remaining = remaining
        self.resetNanoseconds = resetNanoseconds
    }
}

/// A quota's count for the admin API.
public struct QuotaUsage: Sendable, Equatable {
    public let limit: Int64
    public let used: Int64
    public let periodStart: EpochNanoseconds
    public let periodEnd: EpochNanoseconds

    public init(limit: Int64, used: Int64, periodStart: EpochNanoseconds, periodEnd: EpochNanoseconds) {
        self.limit = limit
        self.used = used
        self.periodStart = periodStart
        self.periodEnd = periodEnd
    }

    public var remaining: Int64 { max(0, limit - used) }
}
