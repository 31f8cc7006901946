/// Decides the client IP and the upstream X-Forwarded-For from the socket peer and trusted proxies.
public enum ClientIPResolver {
    /// Client IP = right-most X-Forwarded-For address that is not itself a trusted proxy, only when the
    /// socket peer is trusted; otherwise the peer.
    public static func clientIP(peer: IPAddress, forwardedFor: [Substring], trusted: CIDRSet) -> IPAddress { peer }

    /// Value to send upstream: incoming header + ", " + peer when the peer is trusted, else just the peer.
    public static func upstreamForwardedFor(peer: IPAddress, incoming: [Substring], trusted: CIDRSet) -> String {
        peer.description
    }
}
