/// Where rate-based rules keep their counters: in memory for one instance (`MemoryRateWindowStore`); a shared
/// store for a fleet answers later, which is why `record` may return a pending operation instead of a result.
public protocol RateWindowStore: Sendable {
    /// The counters of one rule, looked up once when a config compiles. The same `id` gets the same counters,
    /// so a reload that keeps a rule keeps its counts.
    func window(for id: RateRuleID, maxTrackedKeys: Int) -> RateWindowHandle
    /// Counts `hits` in order, atomically per hit, and stops after the first hit whose limit is exceeded and whose
    /// action decides the request (block or allow): later rules never see a request an earlier one decided.
    func record(_ hits: [RateHit], now: EpochNanoseconds) -> StoreReply<RateRecord>
    /// The keys of `window` whose count is now at or above `threshold`, with when each falls below it.
    func keys(of window: RateWindowHandle, atOrAbove threshold: Int, now: EpochNanoseconds) async -> [RateKeyStatus]
}

/// A store's answer: now (memory), or an operation the edge runs whose result is the value (a shared store).
public enum StoreReply<Value> {
    case ready(Value)
    case pending(any PendingOperation)
}

/// Names one rule's counters across reloads: a rule that changes its key or window starts afresh.
public struct RateRuleID: Hashable, Sendable, CustomStringConvertible {
    public let rule: String
    public let key: String
    public let windowNanoseconds: Int64

    public init(rule: String, key: String, windowNanoseconds: Int64) {
        self.rule = rule
        self.key = key
        self.windowNanoseconds = windowNanoseconds
    }

    public var description: String { "\(rule) (\(key), \(windowNanoseconds / 1_000_000_000)s)" }
}

/// One rule's counters as the store handed them out; `storage` is the store's own (memory: the key table).
public final class RateWindowHandle: Sendable {
    public let id: RateRuleID
    public let storage: AnyObject & Sendable

    public init(id: RateRuleID, storage: AnyObject & Sendable) {
        self.id = id
        self.storage = storage
    }
}

/// One request counted by one rate rule.
public struct RateHit: Sendable {
    public let window: RateWindowHandle
    public let key: RateKey
    /// Shown by the admin API instead of the key itself (digested and secret keys).
    public let label: String?
    public let limit: Int
    /// Block rules count only the requests they let through, so a key sending at ten times the limit is still
    /// admitted exactly `limit` times per window; allow and count rules count every request they see.
    public let countsRefused: Bool
    /// Block and allow decide the request when the limit is exceeded; count does not.
    public let decides: Bool
    /// The caller's own tag (the WAF: the rule's index); stores ignore it.
    public let tag: Int

    public init(window: RateWindowHandle, key: RateKey, label: String?, limit: Int, countsRefused: Bool,
                decides: Bool, tag: Int = 0) {
        self.tag = tag
        self.window = window
        self.key = key
        self.label = label
        self.limit = limit
        self.countsRefused = countsRefused
        self.decides = decides
    }
}

/// What `record` found: which hits were over their limit (bit i for hit i), and the deciding one, if any.
public struct RateRecord: Sendable, Equatable {
    public var overLimit: UInt64
    public var decidingHit: Int?

    public init(overLimit: UInt64 = 0, decidingHit: Int? = nil) {
        self.overLimit = overLimit
        self.decidingHit = decidingHit
    }

    public func isOverLimit(_ hit: Int) -> Bool { overLimit & (1 << UInt64(hit)) != 0 }
}

/// A key over its rule's limit, for the admin API.
public struct RateKeyStatus: Sendable, Equatable {
    public let key: String
    public let count: Int
    public let releasedAt: EpochNanoseconds

    public init(key: String, count: Int, releasedAt: EpochNanoseconds) {
        self.key = key
        self.count = count
        self.releasedAt = releasedAt
    }
}
