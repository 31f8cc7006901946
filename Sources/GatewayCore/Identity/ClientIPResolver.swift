/// Decides the client IP and the upstream X-Forwarded-For from the socket peer and the trusted proxies.
///
/// Follows nginx `real_ip_recursive on`: walk X-Forwarded-For from the right while entries are trusted proxies.
/// Safe by construction: from an untrusted peer the header is ignored entirely; a malformed entry (which a
/// trusted proxy would never write) makes the header unusable, so the peer is used rather than any candidate.
public enum ClientIPResolver {
    /// Client IP = right-most X-Forwarded-For address that is not itself a trusted proxy, only when the socket peer is
    /// trusted; otherwise the peer. If every entry is trusted, the left-most one (the request began inside);
    /// if any walked entry is malformed, or there are none, the peer. `forwardedFor` holds the header lines in order.
    public static func clientIP(peer: IPAddress, forwardedFor: [Substring], trusted: CIDRSet) -> IPAddress {
        if trusted.isEmpty || forwardedFor.isEmpty || !trusted.contains(peer) { return peer }
        var leftmostTrusted: IPAddress?
        for line in forwardedFor.reversed() {
            var end = line.endIndex
            while end > line.startIndex {
                // The entry is (start..<end) after the last comma before `end`.
                var start = end
                while start > line.startIndex, line.utf8[line.utf8.index(before: start)] != UInt8(ascii: ",") {
                    start = line.utf8.index(before: start)
                }
                let entry = trimmed(line[start..<end])
                end = start > line.startIndex ? line.utf8.index(before: start) : start
                if entry.isEmpty { continue }  // "a,,b" or a trailing comma: nothing to judge
                guard let address = parseEntry(entry) else { return peer }
                if !trusted.contains(address) { return address }
                leftmostTrusted = address
            }
        }
        return leftmostTrusted ?? peer
    }

    /// Value to send upstream: incoming header + ", " + peer when the peer is trusted, else just the peer.
    public static func upstreamForwardedFor(peer: IPAddress, incoming: [Substring], trusted: CIDRSet) -> String {
        let peerText = peer.description
        guard !incoming.isEmpty, trusted.contains(peer) else { return peerText }
        var out = ""
        for line in incoming {
            let t = trimmed(line)
            if t.isEmpty { continue }
            if !out.isEmpty { out += ", " }
            out += t
        }
        return out.isEmpty ? peerText : out + ", " + peerText
    }

    /// One X-Forwarded-For element: an address, also "[v6]", "[v6]:port" or "v4:port" as some proxies write.
    static func parseEntry(_ entry: Substring) -> IPAddress? {
        if let a = IPAddress(entry) { return a }
        let utf8 = entry.utf8
        if utf8.first == UInt8(ascii: "["), let close = utf8.firstIndex(of: UInt8(ascii: "]")) {
            let rest = entry[utf8.index(after: close)...]
            guard rest.isEmpty || isPort(rest) else { return nil }
            let inner = entry[utf8.index(after: utf8.startIndex)..<close]
            guard let a = IPAddress(inner), !a.isIPv4 else { return nil }
            return a
        }
        if let colon = utf8.firstIndex(of: UInt8(ascii: ":")), isPort(entry[colon...]) {
            guard let a = IPAddress(entry[..<colon]), a.isIPv4 else { return nil }
            return a
        }
        return nil
    }

    private static func isPort(_ s: Substring) -> Bool {
        let u = s.utf8
        return u.count >= 2 && u.count <= 6 && u.first == UInt8(ascii: ":")
            && u.dropFirst().allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    private static func trimmed(_ s: Substring) -> Substring {
        var s = s
        while let f = s.utf8.first, f == 0x20 || f == 0x09 { s = s.dropFirst() }
        while let l = s.utf8.last, l == 0x20 || l == 0x09 { s = s.dropLast() }
        return s
    }
}
