import GatewayCore

/// `GET /usage/{apiKeyName}`: the key's plan and its quota in the current period, as the contract shapes it:
/// `{"apiKey", "plan", "quota": {"limit", "used", "remaining", "period", "resetsAt"}}` (`quota` is null for a plan
/// without one; Portcullis adds `enabled`).
enum UsageReport {
    static let pathPrefix = "/usage/"

    /// The quota's usage now: at once from the memory store (on the admin connection's loop, no task hop), or
    /// from a shared store, which answers later.
    enum Lookup {
        case ready(QuotaUsage?)
        case later(@Sendable () async -> QuotaUsage?)
    }

    static func lookup(_ key: CompiledAPIKey, in snapshot: GatewaySnapshot) -> Lookup {
        guard let quota = key.quota else { return .ready(nil) }
        let now = snapshot.state.clock.now()
        let store = snapshot.state.limits
        if let memory = store as? MemoryLimitStore { return .ready(memory.usageNow(of: quota, now: now)) }
        return .later { await store.usage(of: quota, now: now) }
    }

    static func json(_ key: CompiledAPIKey, usage: QuotaUsage?) -> [UInt8] {
        var out: [UInt8] = Array(#"{"apiKey":"#.utf8)
        JSONEscaping.appendQuoted(key.name, to: &out)
        out.append(contentsOf: #","plan":"#.utf8)
        JSONEscaping.appendQuoted(key.plan.name, to: &out)
        out.append(contentsOf: #","enabled":"#.utf8)
        out.append(contentsOf: (key.enabled ? "true" : "false").utf8)
        out.append(contentsOf: #","quota":"#.utf8)
        if let usage, let quota = key.quota {
            out.append(contentsOf: #"{"limit":\#(usage.limit),"used":\#(usage.used),"remaining":\#(usage.remaining),"period":""#.utf8)
            out.append(contentsOf: quota.quota.period.rawValue.utf8)
            out.append(contentsOf: #"","resetsAt":""#.utf8)
            RFC3339.append(epochMilliseconds: usage.periodEnd / 1_000_000, to: &out)
            out.append(contentsOf: #""}"#.utf8)
        } else {
            out.append(contentsOf: "null".utf8)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
