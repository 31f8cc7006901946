/// An IPv4 or IPv6 address stored as 16 bytes (IPv4 as v4-mapped) so CIDR checks are one code path.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    let high: UInt64
    let low: UInt64
    public let isIPv4: Bool

    public init?(_ text: Substring) { return nil }
    public init?(_ text: String) { self.init(Substring(text)) }
    public init(ipv4 bytes: (UInt8, UInt8, UInt8, UInt8)) {
        high = 0
        low = 0x0000_FFFF_0000_0000 | UInt64(bytes.0) << 24 | UInt64(bytes.1) << 16 | UInt64(bytes.2) << 8 | UInt64(bytes.3)
        isIPv4 = true
    }
    public init(ipv6 bytes: [UInt8]) {
        high = 0
        low = 0
        isIPv4 = false
    }
    public var description: String { "" }
}
