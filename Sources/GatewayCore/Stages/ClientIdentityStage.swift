/// Who the request is for: the TCP peer, or the client a trusted proxy says it forwarded for.
public struct ClientIdentityStage: RequestStage {
    let trustedProxies: CIDRSet

    public init(trustedProxies: CIDRSet) {
        self.trustedProxies = trustedProxies
    }

    public var name: String { "identity" }

    public func evaluate(_ request: inout RequestContext) -> StageVerdict {
        // Without trusted proxies X-Forwarded-For is the client's own claim, and never believed.
        guard !trustedProxies.isEmpty else { return .next }
        let forwarded = request.head.headers["x-forwarded-for"]
        if !forwarded.isEmpty {
            request.clientIP = ClientIPResolver.clientIP(peer: request.peer, forwardedFor: forwarded.map { Substring($0) },
                                                         trusted: trustedProxies)
        }
        return .next
    }
}
