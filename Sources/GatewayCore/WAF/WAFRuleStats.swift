import Synchronization

/// One rule's totals since the gateway started (kept across reloads by rule name), for `GET /waf` and `/metrics`.
/// Atomic: every event loop adds to the same totals.
public final class WAFRuleStats: Sendable {
    /// Requests the rule's conditions matched (rate rules: requests counted against a key).
    public let matched = Atomic<Int>(0)
    public let blocked = Atomic<Int>(0)
    public let allowed = Atomic<Int>(0)
    /// Requests the rule's `count` action applied to.
    public let counted = Atomic<Int>(0)

    public init() {}

    func record(_ action: WAFRule.Action) {
        switch action {
        case .block: blocked.add(1, ordering: .relaxed)
        case .allow: allowed.add(1, ordering: .relaxed)
        case .count: counted.add(1, ordering: .relaxed)
        }
    }

    func recordMatch() { matched.add(1, ordering: .relaxed) }
}
