import NIOHTTP1

/// The upstream request's headers: hop-by-hop removal (RFC 9110 §7.6.1) and the X-Forwarded-* /
/// X-Request-Id set the contract requires. One pass, no lower-cased copies. (Responses: `ResponseHeadWriter`.)
enum ForwardingHeaders {
    /// Headers that belong to one connection and never cross the gateway, in either direction.
    static let hopByHop = ["connection", "keep-alive", "proxy-connection", "te", "trailer",
                                  "transfer-encoding", "upgrade"]
    /// Request headers the gateway sets itself (a client's own values must never reach the upstream).
    private static let replacedOnRequest = ["host", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
                                            "x-request-id", "expect"]

    struct RequestContext {
        var upstreamAuthority: String
        var forwardedFor: String
        var forwardedProto: String
        var forwardedHost: Substring?
        var requestId: String
        var chunkedBody: Bool
    }

    static func upstreamRequestHeaders(from incoming: HTTPHeaders, _ ctx: RequestContext) -> HTTPHeaders {
        let connectionTokens = connectionNominated(incoming)
        var out = HTTPHeaders()
        out.reserveCapacity(incoming.count + 6)
        out.add(name: "host", value: ctx.upstreamAuthority)
        for (name, value) in incoming {
            if isListed(name, hopByHop) || isListed(name, replacedOnRequest) { continue }
            if let connectionTokens, connectionTokens.contains(where: { name.equalsASCIICaseInsensitive($0) }) { continue }
            out.add(name: name, value: value)
        }
        if ctx.chunkedBody { out.add(name: "transfer-encoding", value: "chunked") }
        out.add(name: "x-forwarded-for", value: ctx.forwardedFor)
        out.add(name: "x-forwarded-proto", value: ctx.forwardedProto)
        if let host = ctx.forwardedHost { out.add(name: "x-forwarded-host", value: String(host)) }
        out.add(name: "x-request-id", value: ctx.requestId)
        return out
    }

    /// Names listed in `Connection` (other than the well-known options), which are hop-by-hop too.
    /// Scans without splitting: the common `Connection: keep-alive` allocates nothing.
    private static func connectionNominated(_ headers: HTTPHeaders) -> [Substring]? {
        var tokens: [Substring]?
        for (name, value) in headers where name.utf8.count == 10 && name.equalsASCIICaseInsensitive("connection") {
            var rest = Substring(value)
            while !rest.isEmpty {
                let comma = rest.firstIndex(of: ",") ?? rest.endIndex
                let token = rest[..<comma].trimmingASCIIWhitespace()
                rest = comma == rest.endIndex ? "" : rest[rest.index(after: comma)...]
                if token.isEmpty || token.equalsASCIICaseInsensitive("close") || token.equalsASCIICaseInsensitive("keep-alive") {
                    continue
                }
                if tokens == nil { tokens = [] }
                tokens!.append(token)
            }
        }
        return tokens
    }

    private static func isListed(_ name: String, _ list: [String]) -> Bool {
        let count = name.utf8.count
        for candidate in list where candidate.utf8.count == count && name.equalsASCIICaseInsensitive(candidate) {
            return true
        }
        return false
    }
}
