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
            let verdict = PathScan.withBytes(line) { bytes -> Walk in
                var end = bytes.count
                while end > 0 {
                    var start = end
                    while start > 0, bytes[start - 1] != UInt8(ascii: ",") { start -= 1 }
                    let entry = trimmed(UnsafeBufferPointer(rebasing: bytes[start..<end]))
                    end = start - 1
                    if entry.isEmpty { continue }  // "a,,b" or a trailing comma: nothing to judge
                    guard let address = parseEntry(entry) else { return .malformed }
                    if !trusted.contains(address) { return .client(address) }
                    leftmostTrusted = address
                }
                return .allTrusted
            }
            switch verdict {
            case .client(let address): return address
            case .malformed: return peer
            case .allTrusted: continue
            }
        }
        return leftmostTrusted ?? peer
    }

    private enum Walk {
        case client(IPAddress)
        case malformed
        case allTrusted
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
    static func parseEntry(_ entry: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        if let a = IPAddress.parse(entry) { return a }
        if entry.first == UInt8(ascii: "["), let close = entry.firstIndex(of: UInt8(ascii: "]")) {
            guard close + 1 == entry.count || isPort(UnsafeBufferPointer(rebasing: entry[(close + 1)...])),
                  let a = IPAddress.parse(UnsafeBufferPointer(rebasing: entry[1..<close])), !a.isIPv4 else { return nil }
            return a
        }
        if let colon = entry.firstIndex(of: UInt8(ascii: ":")), isPort(UnsafeBufferPointer(rebasing: entry[colon...])) {
            guard let a = IPAddress.parse(UnsafeBufferPointer(rebasing: entry[..<colon])), a.isIPv4 else { return nil }
            return a
        }
        return nil
    }

    private static func isPort(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        s.count >= 2 && s.count <= 6 && s[0] == UInt8(ascii: ":") && s.dropFirst().allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    private static func trimmed(_ s: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var lo = 0
        var hi = s.count
        while lo < hi, s[lo] == 0x20 || s[lo] == 0x09 { lo += 1 }
        while hi > lo, s[hi - 1] == 0x20 || s[hi - 1] == 0x09 { hi -= 1 }
        return UnsafeBufferPointer(rebasing: s[lo..<hi])
    }

    private static func trimmed(_ s: Substring) -> Substring {
        var s = s
        while let f = s.utf8.first, f == 0x20 || f == 0x09 { s = s.dropFirst() }
        while let l = s.utf8.last, l == 0x20 || l == 0x09 { s = s.dropLast() }
        return s
    }
}
