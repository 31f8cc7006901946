/// One hexadecimal digit's value, for the byte-level parsers in this module (IPv6 groups, percent escapes).
enum ASCIIHex {
    @inline(__always)
    static func value(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x61...0x66: b - 0x61 + 10
        case 0x41...0x46: b - 0x41 + 10
        default: nil
        }
    }
}
