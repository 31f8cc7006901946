import Crypto

/// What a rate-based rule counts requests by, for one request: an address, a short text, or the digest of a long
/// or secret one, so a tracked key costs a few dozen bytes whatever the client sent (a 16 KB header included).
public enum RateKey: Hashable, Sendable {
    case address(IPAddress)
    case text(String)
    case digest(UInt64, UInt64)

    /// The key of a client address: an IPv4 address (also written IPv4-mapped), or the /64 an IPv6 address is in,
    /// since one IPv6 host is routinely given a whole /64 and could otherwise rotate through it to escape a limit.
    static func of(client address: IPAddress) -> RateKey {
        let plain = address.unmapped
        if plain.isIPv4 { return .address(plain) }
        return .address(IPAddress(high: plain.high, low: 0, isIPv4: false))
    }

    /// Texts longer than this are tracked by digest (with a shortened label for the admin API).
    public static let maxTextBytes = 64

    /// `secret` texts (API keys) are always digested and never shown: their label is the last four characters.
    static func of(text: Substring, secret: Bool) -> (key: RateKey, label: String?) {
        if !secret, text.utf8.count <= maxTextBytes { return (.text(String(text)), nil) }
        // 128 bits of SHA-256: no collision a client can aim at, and the same on every instance of a fleet (which
        // counts the key in one shared window).
        let digest = SHA256.hash(data: Array(text.utf8))
        let key = digest.withUnsafeBytes { bytes in
            RateKey.digest(bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                           bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
        if secret { return (key, "…" + String(text.suffix(4))) }
        return (key, String(text.prefix(maxTextBytes - 1)) + "…")
    }

    /// How the admin API shows the key when no label was kept for it.
    public var description: String {
        switch self {
        case .address(let address): return address.isIPv4 ? address.description : address.description + "/64"
        case .text(let text): return text
        case .digest(let a, let b): return "digest:" + String(a, radix: 16) + String(b, radix: 16)
        }
    }
}
