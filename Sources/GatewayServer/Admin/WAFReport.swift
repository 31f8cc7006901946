import GatewayCore

/// The WAF as the admin API shows it: `GET /waf` (per-rule totals, and the keys rate rules now hold over their
/// limit) and the `portcullis_waf_*` series appended to `/metrics`. Off the request path; reads the totals the
/// stage keeps and asks the rate store for keys, which a shared store answers later (hence `async`).
enum WAFReport {
    /// Keys listed per rule; `keysOverLimitTotal` says how many there are in all.
    static let maxListedKeys = 1000

    static func json(_ snapshot: GatewaySnapshot) async -> [UInt8] {
        var out: [UInt8] = Array(#"{"rules":["#.utf8)
        let now = snapshot.state.clock.now()
        for (index, rule) in (snapshot.waf?.rules ?? []).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"name":"#.utf8)
            JSONEscaping.appendQuoted(rule.name, to: &out)
            out.append(contentsOf: #","action":""#.utf8)
            out.append(contentsOf: rule.action.rawValue.utf8)
            out.append(UInt8(ascii: "\""))
            for (name, value) in totals(rule.stats) {
                out.append(contentsOf: ",\"\(name)\":\(value)".utf8)
            }
            if let rate = rule.rate {
                // Block rules hold a key once the next request would pass the limit; the others once it is passed.
                let threshold = rule.action == .block ? rate.limit : rate.limit + 1
                let keys = await snapshot.state.rateWindows.keys(of: rate.counters, atOrAbove: threshold, now: now)
                out.append(contentsOf: #","rateBased":{"limit":"#.utf8)
                out.append(contentsOf: String(rate.limit).utf8)
                out.append(contentsOf: #","windowSeconds":"#.utf8)
                out.append(contentsOf: String(rate.window.components.seconds).utf8)
                out.append(contentsOf: #","key":"#.utf8)
                JSONEscaping.appendQuoted(rate.key.description, to: &out)
                out.append(contentsOf: #","keysOverLimitTotal":"#.utf8)
                out.append(contentsOf: String(keys.count).utf8)
                out.append(contentsOf: #","keysOverLimit":["#.utf8)
                for (i, key) in keys.prefix(maxListedKeys).enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    out.append(contentsOf: #"{"key":"#.utf8)
                    JSONEscaping.appendQuoted(key.key, to: &out)
                    out.append(contentsOf: #","count":"#.utf8)
                    out.append(contentsOf: String(key.count).utf8)
                    out.append(contentsOf: #","releasedAt":""#.utf8)
                    RFC3339.append(epochMilliseconds: (key.releasedAt + 999_999) / 1_000_000, to: &out)
                    out.append(contentsOf: #"","releasedInSeconds":"#.utf8)
                    let seconds = Double(max(0, key.releasedAt - now)) / 1e9
                    out.append(contentsOf: String(Double((seconds * 1000).rounded(.up)) / 1000).utf8)
                    out.append(UInt8(ascii: "}"))
                }
                out.append(contentsOf: "]}".utf8)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }

    static func totals(_ stats: WAFRuleStats) -> [(String, Int)] {
        [("matched", stats.matched.load(ordering: .relaxed)), ("blocked", stats.blocked.load(ordering: .relaxed)),
         ("allowed", stats.allowed.load(ordering: .relaxed)), ("counted", stats.counted.load(ordering: .relaxed))]
    }

    /// Prometheus text for every configured rule: requests it matched, and requests its action applied to.
    static func prometheus(_ snapshot: GatewaySnapshot) -> [UInt8] {
        guard let rules = snapshot.waf?.rules, !rules.isEmpty else { return [] }
        var text = "# HELP portcullis_waf_matched_total Requests a WAF rule's conditions matched.\n"
            + "# TYPE portcullis_waf_matched_total counter\n"
        for rule in rules {
            text += "portcullis_waf_matched_total{rule=\"\(label(rule.name))\"} \(rule.stats.matched.load(ordering: .relaxed))\n"
        }
        text += "# HELP portcullis_waf_actions_total Requests a WAF rule's action applied to.\n"
            + "# TYPE portcullis_waf_actions_total counter\n"
        for rule in rules {
            let stats = rule.stats
            let value = switch rule.action {
            case .block: stats.blocked.load(ordering: .relaxed)
            case .allow: stats.allowed.load(ordering: .relaxed)
            case .count: stats.counted.load(ordering: .relaxed)
            }
            text += "portcullis_waf_actions_total{rule=\"\(label(rule.name))\",action=\"\(rule.action.rawValue)\"} \(value)\n"
        }
        return Array(text.utf8)
    }

    /// Prometheus label values escape backslash, double quote and newline.
    static func label(_ value: String) -> String {
        var out = ""
        for c in value.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
