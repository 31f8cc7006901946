import GatewayCore

/// The end-of-run summary: a table per status and per second, latency percentiles, per-key counts and the
/// expected admitted count; or the same as one JSON object (`--json`).
public struct LoadTestReport: Sendable {
    public let plan: LoadTestPlan
    public let results: LoadTestResults
    public let expectation: AdmissionExpectation?
    /// Wall time from the first due request to the last answer.
    public let elapsedSeconds: Double

    public init(plan: LoadTestPlan, results: LoadTestResults, expectation: AdmissionExpectation?, elapsedSeconds: Double) {
        self.plan = plan
        self.results = results
        self.expectation = expectation
        self.elapsedSeconds = elapsedSeconds
    }

    public var durationSeconds: Double {
        Double(plan.duration.components.seconds) + Double(plan.duration.components.attoseconds) / 1e18
    }

    /// (measured − expected) / expected, in percent; nil without an expectation (or when 0 were expected).
    public var errorPercent: Double? {
        guard let expectation, expectation.total > 0 else { return nil }
        return Double(results.total.admitted - expectation.total) / Double(expectation.total) * 100
    }

    /// Reasons the run does not measure what was asked: requests left late (the client or the server could not
    /// keep up), errors, answers still missing.
    public var warnings: [String] {
        var out: [String] = []
        let late = results.lateSends
        if late * 100 > results.total.sent {
            let achieved = elapsedSeconds > 0 ? Double(results.total.sent) / elapsedSeconds : 0
            out.append("could not keep the asked rate: \(late) of \(results.total.sent) requests left more than "
                       + "\(LoadTestResults.lateThresholdNanoseconds / 1_000_000) ms late (\(Int(achieved.rounded()))/s "
                       + "sent of \(Self.number(plan.rate))/s asked); use more --connections or --threads, or a lower --rate")
        }
        if results.total.errors > 0 {
            out.append("\(results.total.errors) requests got no answer (connection failed or timed out)")
        }
        return out
    }

    func latencyMs(_ percentile: Double) -> Double {
        Double(results.latency.valueAtPercentile(percentile)) / 1000
    }

    public func text() -> String {
        var lines: [String] = []
        let r = results.total
        lines.append("\(plan.method) \(plan.target.https ? "https" : "http")://\(plan.target.authority)\(plan.target.requestTarget)"
                     + " at \(Self.number(plan.rate))/s for \(Self.number(durationSeconds)) s over \(plan.connections) connections")
        lines.append("sent \(r.sent), answered \(r.answered), errors \(r.errors); admitted (2xx) \(r.admitted), "
                     + "throttled (429) \(r.throttled), other \(r.other)")
        lines.append("")
        lines.append(Self.row(["status", "count"]))
        for (status, count) in results.statusCounts.sorted(by: { $0.key < $1.key }) {
            lines.append(Self.row([String(status), String(count)]))
        }
        lines.append("")
        lines.append(Self.row(["second", "sent", "admitted", "throttled", "other", "errors"]))
        for (second, c) in results.perSecond.enumerated() where c.sent > 0 || c.answered > 0 {
            lines.append(Self.row([String(second), String(c.sent), String(c.admitted), String(c.throttled),
                                   String(c.other), String(c.errors)]))
        }
        if !results.perKey.isEmpty {
            lines.append("")
            lines.append(Self.row(["key", "sent", "admitted", "throttled", "other", "errors", "expected"]))
            for (index, c) in results.perKey.enumerated() {
                let expected = expectation.flatMap { index < $0.perKey.count ? String($0.perKey[index]) : nil } ?? "-"
                lines.append(Self.row([Self.keyLabel(plan.apiKeys[index]), String(c.sent), String(c.admitted),
                                       String(c.throttled), String(c.other), String(c.errors), expected]))
            }
        }
        lines.append("")
        if results.latency.totalCount > 0 {
            lines.append("latency (ms, from the intended send time): p50 \(Self.number(latencyMs(50))), "
                         + "p90 \(Self.number(latencyMs(90))), p99 \(Self.number(latencyMs(99))), "
                         + "max \(Self.number(Double(results.latency.max) / 1000))")
        }
        if let expectation {
            lines.append("expected admitted \(expectation.total) (\(expectation.basis)); measured \(r.admitted); "
                         + "error \(Self.signed(errorPercent ?? 0)) %")
        }
        for warning in warnings { lines.append("warning: \(warning)") }
        return lines.joined(separator: "\n") + "\n"
    }

    public func json() -> String {
        var out: [UInt8] = []
        func field(_ name: String, _ value: String, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            JSONEscaping.appendQuoted(name, to: &out)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: value.utf8)
        }
        out.append(UInt8(ascii: "{"))
        field("durationSeconds", Self.number(durationSeconds), first: true)
        field("requests", String(results.total.sent))
        let statuses = results.statusCounts.sorted(by: { $0.key < $1.key }).map { "\"\($0.key)\":\($0.value)" }
        field("status", "{" + statuses.joined(separator: ",") + "}")
        field("errors", String(results.total.errors))
        field("admitted", String(results.total.admitted))
        field("throttled", String(results.total.throttled))
        field("expectedAdmitted", expectation.map { String($0.total) } ?? "null")
        field("errorPercent", errorPercent.map { Self.number($0, digits: 4) } ?? "null")
        field("latencyMs", "{\"p50\":\(Self.number(latencyMs(50))),\"p90\":\(Self.number(latencyMs(90))),"
              + "\"p99\":\(Self.number(latencyMs(99))),\"max\":\(Self.number(Double(results.latency.max) / 1000))}")
        if !results.perKey.isEmpty {
            let keys = results.perKey.enumerated().map { index, c in
                var item: [UInt8] = Array("{\"key\":".utf8)
                JSONEscaping.appendQuoted(Self.keyLabel(plan.apiKeys[index]), to: &item)
                let expected = expectation.flatMap { index < $0.perKey.count ? String($0.perKey[index]) : nil } ?? "null"
                item.append(contentsOf: ",\"requests\":\(c.sent),\"admitted\":\(c.admitted),\"throttled\":\(c.throttled),\"errors\":\(c.errors),\"expectedAdmitted\":\(expected)}".utf8)
                return String(decoding: item, as: UTF8.self)
            }
            field("perKey", "[" + keys.joined(separator: ",") + "]")
        }
        var warningList: [UInt8] = [UInt8(ascii: "[")]
        for (index, warning) in warnings.enumerated() {
            if index > 0 { warningList.append(UInt8(ascii: ",")) }
            JSONEscaping.appendQuoted(warning, to: &warningList)
        }
        warningList.append(UInt8(ascii: "]"))
        field("warnings", String(decoding: warningList, as: UTF8.self))
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self) + "\n"
    }

    /// A key is never printed whole: its last four characters identify it.
    static func keyLabel(_ key: String) -> String { "…" + String(key.suffix(4)) }

    static func row(_ cells: [String]) -> String {
        cells.map { $0.count >= 10 ? $0 : $0 + String(repeating: " ", count: 10 - $0.count) }.joined(separator: " ")
            .trimmingCharacters(in: " ")
    }

    /// Up to `digits` decimals, trailing zeros dropped; no exponent (valid JSON for any finite value).
    static func number(_ value: Double, digits: Int = 3) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int64(scaled / scale)
        let fraction = Int64(scaled) - whole * Int64(scale)
        var text = (value < 0 && scaled > 0 ? "-" : "") + String(whole)
        if fraction > 0 {
            var decimals = String(fraction)
            decimals = String(repeating: "0", count: digits - decimals.count) + decimals
            while decimals.last == "0" { decimals.removeLast() }
            text += "." + decimals
        }
        return text
    }

    /// A signed percentage with exactly two decimals ("+0.00", "-1.25").
    static func signed(_ value: Double) -> String {
        let hundredths = Int64((abs(value) * 100).rounded())
        let fraction = hundredths % 100
        return (value < 0 && hundredths > 0 ? "-" : "+") + "\(hundredths / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var text = self
        while text.last == set { text.removeLast() }
        return text
    }
}
