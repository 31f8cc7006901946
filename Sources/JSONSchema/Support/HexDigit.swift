/// One hexadecimal digit's value, for every parser in this module (regex escapes, JSON `\u` escapes, URI `%XX`).
enum HexDigit {
    @inline(__always)
    static func value(_ c: UInt32) -> UInt32? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }

    @inline(__always)
    static func value(_ byte: UInt8) -> UInt8? { value(UInt32(byte)).map(UInt8.init) }
}
