import GatewayConfig

/// What `portcullis loadtest` is asked to do: where, how fast, for how long, with what request.
public struct LoadTestPlan: Sendable {
    public var target: LoadTestTarget
    /// Requests per second, offered at a constant rate whatever the server does (open loop).
    public var rate: Double
    public var duration: Duration
    public var connections: Int
    /// Event loop threads of the client (connections are spread over them).
    public var threads: Int
    public var method: String
    /// Extra request headers, in order.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Sent round-robin by request (`x-api-key`), each with its own results; empty = no key.
    public var apiKeys: [String]
    /// A request without a response after this long counts as an error and its connection is replaced.
    public var timeout: Duration
    /// HTTPS: skip certificate verification (self-signed test certificates), or trust this CA file.
    public var insecure: Bool
    public var caFile: String?

    public init(target: LoadTestTarget, rate: Double, duration: Duration, connections: Int = 50, threads: Int = 1,
                method: String = "GET", headers: [(name: String, value: String)] = [], body: [UInt8] = [],
                apiKeys: [String] = [], timeout: Duration = .seconds(10), insecure: Bool = false, caFile: String? = nil) {
        self.target = target
        self.rate = rate
        self.duration = duration
        self.connections = connections
        self.threads = threads
        self.method = method
        self.headers = headers
        self.body = body
        self.apiKeys = apiKeys
        self.timeout = timeout
        self.insecure = insecure
        self.caFile = caFile
    }

    /// Requests the plan offers: one every 1/rate seconds from 0 until (not at) the duration.
    public var offeredRequests: Int {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return max(0, Int((seconds * rate).rounded(.up)))
    }

    /// When request `index` is due, in nanoseconds after the start.
    public func intendedOffset(of index: Int) -> Int64 {
        Int64((Double(index) * 1e9 / rate).rounded())
    }
}

/// The URL under test, split for the connection and the request line.
public struct LoadTestTarget: Sendable, Equatable {
    public let https: Bool
    public let host: String
    public let port: Int
    /// Path and query, as sent in the request line ("/" when the URL has no path).
    public let requestTarget: String

    public init(https: Bool, host: String, port: Int, requestTarget: String) {
        self.https = https
        self.host = host
        self.port = port
        self.requestTarget = requestTarget
    }

    /// `http://host[:port]/path?query` or `https://…`; IPv6 hosts in brackets. nil with a reason otherwise.
    public static func parse(_ url: String) -> Result<LoadTestTarget, LoadTestError> {
        let https: Bool
        var rest: Substring
        if url.hasPrefix("http://") {
            https = false
            rest = url.dropFirst(7)
        } else if url.hasPrefix("https://") {
            https = true
            rest = url.dropFirst(8)
        } else {
            return .failure(LoadTestError("the URL must start with http:// or https:// (got \(url))"))
        }
        let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<slash]
        var requestTarget = String(rest[slash...])
        if requestTarget.isEmpty { requestTarget = "/" } else if requestTarget.hasPrefix("?") { requestTarget = "/" + requestTarget }
        if let hash = requestTarget.firstIndex(of: "#") { requestTarget = String(requestTarget[..<hash]) }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return .failure(LoadTestError("unclosed [ in \(url)")) }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                return .failure(LoadTestError("unexpected \(after) after the host in \(url)"))
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        rest = host
        guard !rest.isEmpty, !rest.contains("@") else { return .failure(LoadTestError("no host in \(url)")) }
        var port = https ? 443 : 80
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                return .failure(LoadTestError("invalid port \"\(portText)\" in \(url)"))
            }
            port = value
        }
        return .success(LoadTestTarget(https: https, host: String(host), port: port, requestTarget: requestTarget))
    }

    /// The `Host` header: the host, bracketed when IPv6, with the port unless it is the scheme's default.
    public var authority: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (https ? 443 : 80) ? name : "\(name):\(port)"
    }
}

public struct LoadTestError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// `--duration`: a contract duration (`DurationSyntax`), above 0 and at most a day (the report keeps a row per
/// second).
public enum LoadTestDuration {
    public static let maxSeconds: Int64 = 86_400

    public static func parse(_ text: String) -> Duration? {
        guard let duration = DurationSyntax.parseText(text), duration > .zero, duration <= .seconds(maxSeconds) else {
            return nil
        }
        return duration
    }
}
