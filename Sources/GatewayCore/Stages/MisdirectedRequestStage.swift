/// On TLS, a request for a host the connection's certificate does not cover is misdirected (421), so one
/// connection cannot reach a domain its certificate does not vouch for (RFC 9110 §15.5.20).
public struct MisdirectedRequestStage: RequestStage {
    public init() {}

    public var name: String { "misdirected" }

    public func evaluate(_ request: inout RequestContext) -> StageVerdict {
        guard let names = request.presentedNames, let host = request.host else { return .next }
        let hostname = Self.hostname(of: host)
        guard !CertificateSelector.covers(names, host: hostname) else { return .next }
        return .respond(.problem(
            .misdirectedRequest, "this connection's certificate does not cover \(hostname); open a new connection for that host",
            requestId: request.requestId))
    }

    /// The Host header without its port, brackets (IPv6) or trailing dot.
    public static func hostname(of host: Substring) -> String {
        var name = host
        if name.first == "[", let close = name.firstIndex(of: "]") {
            name = name[name.index(after: name.startIndex)..<close]
        } else if let colon = name.lastIndex(of: ":") {
            name = name[..<colon]
        }
        if name.last == "." { name = name.dropLast() }
        return String(name)
    }
}
