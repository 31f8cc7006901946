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

    /// This bucket's `RateLimit-Policy` item, built once: `"route";q=BURST;w=SECONDS TO REFILL`.
    public let policyItem: String

    public init(id: LimitID, throttle: Throttle, policy: LimitPolicyName, slot: Int) {
        self.id = id
        self.throttle = throttle
        self.policy = policy
        self.slot = slot
        let window = max(1, RateLimitHeaders.seconds(throttle.nanoseconds(toRefill: throttle.capacityUnits)))
        policyItem = "\"\(policy.rawValue)\";q=\(throttle.burst);w=\(window)"
    }
}

/// One quota counter as a config uses it.
public final class QuotaHandle: Sendable {
    public let id: LimitID
    public let quota: Quota
    public let slot: Int

    /// `RateLimit-Policy` items for a period of 28, 29, 30 and 31 days (a month) or the period's fixed length.
    private let policyItems: [String]

    public init(id: LimitID, quota: Quota, slot: Int) {
        self.id = id
        self.quota = quota
        self.slot = slot
        let days: [Int64] = switch quota.period {
        case .day: [1]
        case .week: [7]
        case .month: [28, 29, 30, 31]
        }
        policyItems = days.map { "\"quota\";q=\(quota.limit);w=\($0 * 86_400)" }
    }

    /// The `RateLimit-Policy` item for a period of `length` nanoseconds (a month's varies).
    public func policyItem(periodLength length: Int64) -> String {
        guard policyItems.count > 1 else { return policyItems[0] }
        let days = Int(length / (86_400 * 1_000_000_000))
        return policyItems[min(max(days - 28, 0), 3)]
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
    public var buckets: LimitStates
    /// The quota's requests left in its period and nanoseconds until the period ends.
    public var quota: LimitState?
    /// The length of the quota's current period (a month's varies), for the `RateLimit-Policy` field.
    public var quotaPeriod: Int64 = 0

    public init(verdict: Verdict, retryAfter: Int64, buckets: LimitStates, quota: LimitState?) {
        self.verdict = verdict
        self.retryAfter = retryAfter
        self.buckets = buckets
        self.quota = quota
    }
}

/// The states of a request's buckets, held inline: a request has at most five buckets (gateway, API, route, plan,
/// plan route), and an array here was an allocation on every metered request.
public struct LimitStates: RandomAccessCollection, Sendable, Equatable {
    public static let capacity = 5
    private var storage = (LimitState.zero, LimitState.zero, LimitState.zero, LimitState.zero, LimitState.zero)
    public private(set) var count = 0

    public init() {}

    public init(_ states: [LimitState]) {
        for state in states { append(state) }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> LimitState {
        precondition(position >= 0 && position < count, "index out of range")
        switch position {
        case 0: return storage.0
        case 1: return storage.1
        case 2: return storage.2
        case 3: return storage.3
        default: return storage.4
        }
    }

    public mutating func append(_ state: LimitState) {
        precondition(count < Self.capacity, "a request has at most \(Self.capacity) buckets")
        switch count {
        case 0: storage.0 = state
        case 1: storage.1 = state
        case 2: storage.2 = state
        case 3: storage.3 = state
        default: storage.4 = state
        }
        count += 1
    }

    public static func == (a: LimitStates, b: LimitStates) -> Bool { a.elementsEqual(b) }
}

/// One limit's state after a decision.
public struct LimitState: Sendable, Equatable {
    public var remaining: Int64
    public var resetNanoseconds: Int64

    public init(remaining: Int64, resetNanoseconds: Int64) {
        self.remaining = remaining
        self.resetNanoseconds = resetNanoseconds
    }

    static let zero = LimitState(remaining: 0, resetNanoseconds: 0)
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
