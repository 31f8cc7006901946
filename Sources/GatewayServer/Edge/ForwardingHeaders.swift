import GatewayCore
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
    static func connectionNominated(_ headers: HTTPHeaders) -> [Substring]? { ConnectionTokens.nominated(headers) }

    /// Each non-empty, trimmed token of one `Connection` value, until `body` returns false.
    static func forEachConnectionToken(_ value: String, _ body: (Substring) -> Bool) {
        ConnectionTokens.forEach(value, body)
    }

    /// Whether `name` is in `list` (lower-case names), compared case-insensitively.
    static func isListed(_ name: some StringProtocol, _ list: [String]) -> Bool { ConnectionTokens.isListed(name, list) }
}
