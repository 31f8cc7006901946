import Synchronization

/// What outlives a configuration: the clock, rate-rule counters, WAF totals, throttle and quota counters. The runtime keeps one and every
/// reload compiles against it, so a reload neither resets a limit an attacker has reached nor the admin totals.
public final class GatewayState: Sendable {
    public let clock: any GatewayClock
    public let rateWindows: any RateWindowStore
    public let limits: any LimitStore
    private let ruleStats = Mutex<[String: WAFRuleStats]>([:])
    private let cache = Mutex<MemoryCacheStore?>(nil)

    public init(clock: any GatewayClock = SystemClock(), rateWindows: any RateWindowStore = MemoryRateWindowStore(),
                limits: any LimitStore = MemoryLimitStore()) {
        self.clock = clock
        self.rateWindows = rateWindows
        self.limits = limits
    }

    /// The response cache for `settings`: the same store across reloads while its size stays, a new (empty) one
    /// when the size changes.
    public func responseCache(for settings: CacheSettings) -> MemoryCacheStore {
        cache.withLock { current in
            if let current, current.capacity == settings.capacity, current.maxEntrySize == settings.maxEntrySize {
                return current
            }
            let store = MemoryCacheStore(capacity: settings.capacity, maxEntrySize: settings.maxEntrySize)
            current = store
            return store
        }
    }

    /// The totals of the WAF rule called `name`, the same object for every config that has such a rule.
    public func stats(forRule name: String) -> WAFRuleStats {
        ruleStats.withLock { table in
            if let existing = table[name] { return existing }
            let created = WAFRuleStats()
            table[name] = created
            return created
        }
    }
}
