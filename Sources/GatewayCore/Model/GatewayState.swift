import Synchronization

/// What outlives a configuration: the clock, rate-rule counters, WAF totals, throttle and quota counters. The runtime keeps one and every
/// reload compiles against it, so a reload neither resets a limit an attacker has reached nor the admin totals.
public final class GatewayState: Sendable {
    public let clock: any GatewayClock
    public let rateWindows: any RateWindowStore
    public let limits: any LimitStore
    private let ruleStats = Mutex<[String: WAFRuleStats]>([:])

    public init(clock: any GatewayClock = SystemClock(), rateWindows: any RateWindowStore = MemoryRateWindowStore(),
                limits: any LimitStore = MemoryLimitStore()) {
        self.clock = clock
        self.rateWindows = rateWindows
        self.limits = limits
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
