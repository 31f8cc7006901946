import NIOHTTP1

/// Which request headers cross to the upstream: hop-by-hop removal (RFC 9110 §7.6.1), and the X-Forwarded-* /
/// X-Request-Id values the gateway sets itself. Rules only; `UpstreamRequestHead` writes the bytes.
/// (Responses: `ResponseHeadWriter` uses the same hop-by-hop list.)
enum ForwardingHeaders {
    /// Headers that belong to one connection and never cross the gateway, in either direction.
    static let hopByHop = ["connection", "keep-alive", "proxy-connection", "te", "trailer",
                                  "transfer-encoding", "upgrade"]
    /// Request headers the gateway sets itself (a client's own values must never reach the upstream).
    private static let replacedOnRequest = ["host", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
                                            "x-request-id", "expect"]

    /// What the gateway adds to every forwarded request (besides `Host`, which comes from the target).
    struct RequestContext {
        var forwardedFor: String
        var forwardedProto: String
        var forwardedHost: Substring?
        var requestId: String
        var chunkedBody: Bool
    }

    /// Whether a client header is forwarded: not hop-by-hop, not one the gateway replaces, not nominated by
    /// `Connection` (`nominated` from `connectionNominated`).
    static func forwards(_ name: String, nominated: [Substring]?) -> Bool {
        if isListed(name, hopByHop) || isListed(name, replacedOnRequest) { return false }
        if let nominated, nominated.contains(where: { name.equalsASCIICaseInsensitive($0) }) { return false }
        return true
    }

    /// Names listed in `Connection` (other than the well-known options), which are hop-by-hop too.
    /// Scans without splitting: the common `Connection: keep-alive` allocates nothing.
    static func connectionNominated(_ headers: HTTPHeaders) -> [Substring]? {
        var tokens: [Substring]?
        for (name, value) in headers where name.utf8.count == 10 && name.equalsASCIICaseInsensitive("connection") {
            forEachConnectionToken(value) { token in
                if !token.equalsASCIICaseInsensitive("close") && !token.equalsASCIICaseInsensitive("keep-alive") {
                    if tokens == nil { tokens = [] }
                    tokens!.append(token)
                }
                return true
            }
        }
        return tokens
    }

    /// Each non-empty, trimmed token of one `Connection` value, until `body` returns false. Without splitting:
    /// the common `Connection: keep-alive` allocates nothing.
    static func forEachConnectionToken(_ value: String, _ body: (Substring) -> Bool) {
        var rest = Substring(value)
        while !rest.isEmpty {
            let comma = rest.firstIndex(of: ",") ?? rest.endIndex
            let token = rest[..<comma].trimmingASCIIWhitespace()
            rest = comma == rest.endIndex ? "" : rest[rest.index(after: comma)...]
            if !token.isEmpty && !body(token) { return }
        }
    }

    /// Whether `name` is in `list` (lower-case names), compared case-insensitively.
    static func isListed(_ name: some StringProtocol, _ list: [String]) -> Bool {
        let count = name.utf8.count
        for candidate in list where candidate.utf8.count == count && name.equalsASCIICaseInsensitive(candidate) {
            return true
        }
        return false
    }
}
