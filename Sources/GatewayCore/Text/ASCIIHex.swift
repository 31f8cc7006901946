/// One hexadecimal digit's value, for the gateway's byte-level parsers (IPv6 groups, percent escapes, chunk
/// sizes), and the lowercase digit of a value, for writers (JSON `\u` escapes, key digests). `@inlinable` so the
/// upstream chunk scanner's per-byte calls stay cheap across the module boundary.
public enum ASCIIHex {
    /// The lowercase digit of `nibble` (0–15).
    @inlinable
    public static func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x61 + nibble - 10 }

    /// The uppercase digit of `nibble` (0–15), for percent-encoding as RFC 3986 and SigV4 write it.
    @inlinable
    public static func upperDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x41 + nibble - 10 }

    /// `bytes` as lowercase hex, two digits each (digests, message ids).
    public static func lowercase(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digit(byte >> 4))
            out.append(digit(byte & 0xF))
        }
        return String(decoding: out, as: UTF8.self)
    }

    @inlinable
    public static func value(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x61...0x66: b - 0x61 + 10
        case 0x41...0x46: b - 0x41 + 10
        default: nil
        }
    }
}
