import GatewayCore

/// One access-log line with the contract's field names; fields with no value are omitted.
struct AccessLogEntry {
    var epochMilliseconds: Int64
    var requestId: String
    var clientIp: String
    var method: String
    var host: String?
    var path: String
    var httpProtocol: String
    var status: Int
    var bytes: Int
    var latencyMs: Double
    var integrationLatencyMs: Double?
    var api: String?
    var route: String?
    /// The API key's name, never its value.
    var apiKey: String? = nil
    /// `hit`, `miss` or `bypass` on a cached route.
    var cache: String? = nil
    var waf: WAFFinding?
    var errorCode: String?
    /// A function's error type (`ValueError`, `Runtime.ExitError`, `Sandbox.Timedout`...): logged, never sent.
    var functionError: String? = nil

    /// Appends the JSON object and a newline.
    func append(to out: inout [UInt8]) {
        out.append(contentsOf: #"{"time":""#.utf8)
        RFC3339.append(epochMilliseconds: epochMilliseconds, to: &out)
        out.append(contentsOf: #"","requestId":"#.utf8)
        JSONEscaping.appendQuoted(requestId, to: &out)
        field("clientIp", clientIp, &out)
        field("method", method, &out)
        if let host { field("host", host, &out) }
        field("path", path, &out)
        field("protocol", httpProtocol, &out)
        out.append(contentsOf: #","status":"#.utf8)
        out.append(contentsOf: String(status).utf8)
        out.append(contentsOf: #","bytes":"#.utf8)
        out.append(contentsOf: String(bytes).utf8)
        out.append(contentsOf: #","latencyMs":"#.utf8)
        appendMillis(latencyMs, &out)
        if let integrationLatencyMs {
            out.append(contentsOf: #","integrationLatencyMs":"#.utf8)
            appendMillis(integrationLatencyMs, &out)
        }
        if let api { field("api", api, &out) }
        if let route { field("route", route, &out) }
        if let apiKey { field("apiKey", apiKey, &out) }
        if let cache { field("cache", cache, &out) }
        if let waf {
            out.append(contentsOf: #","waf":{"rule":"#.utf8)
            JSONEscaping.appendQuoted(waf.rule, to: &out)
            out.append(contentsOf: #","action":""#.utf8)
            out.append(contentsOf: waf.action.rawValue.utf8)
            out.append(contentsOf: #""}"#.utf8)
        }
        if let errorCode { field("errorCode", errorCode, &out) }
        if let functionError { field("functionError", functionError, &out) }
        out.append(contentsOf: "}\n".utf8)
    }

    private func field(_ name: StaticString, _ value: String, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: ","))
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        out.append(contentsOf: "\":".utf8)
        JSONEscaping.appendQuoted(value, to: &out)
    }

    /// Milliseconds with three decimals (microsecond resolution), without Foundation formatting.
    private func appendMillis(_ value: Double, _ out: inout [UInt8]) {
        let micros = Int64((max(0, value) * 1000).rounded())
        out.append(contentsOf: String(micros / 1000).utf8)
        out.append(UInt8(ascii: "."))
        let fraction = micros % 1000
        if fraction < 100 { out.append(UInt8(ascii: "0")) }
        if fraction < 10 { out.append(UInt8(ascii: "0")) }
        out.append(contentsOf: String(fraction).utf8)
    }
}

/// RFC 3339 UTC timestamps with milliseconds, computed arithmetically (no formatter, no locale).
enum RFC3339 {
    static func append(epochMilliseconds: Int64, to out: inout [UInt8]) {
        let millis = Int(epochMilliseconds % 1000)
        let t = CivilDate.dateTime(epochSeconds: epochMilliseconds / 1000)
        digits(Int(t.year), 4, &out); out.append(UInt8(ascii: "-"))
        digits(Int(t.month), 2, &out); out.append(UInt8(ascii: "-"))
        digits(Int(t.day), 2, &out); out.append(UInt8(ascii: "T"))
        digits(Int(t.hour), 2, &out); out.append(UInt8(ascii: ":"))
        digits(Int(t.minute), 2, &out); out.append(UInt8(ascii: ":"))
        digits(Int(t.second), 2, &out); out.append(UInt8(ascii: "."))
        digits(millis, 3, &out); out.append(UInt8(ascii: "Z"))
    }

    static func format(epochMilliseconds: Int64) -> String {
        var out: [UInt8] = []
        append(epochMilliseconds: epochMilliseconds, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func digits(_ value: Int, _ width: Int, _ out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var v = value
        while divisor > 0 {
            out.append(UInt8(48 + (v / divisor) % 10))
            v %= divisor
            divisor /= 10
        }
    }
}
