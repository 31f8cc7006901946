/// Byte classes of the JSON grammar (RFC 8259) read by both the parser and the one-pass check, which must agree
/// on what a document is.
enum JSONSyntax {
    /// Space, tab, line feed, carriage return: nothing else separates tokens.
    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// The bytes a number token may contain; `JSONNumber.parse` then checks their order.
    @inline(__always)
    static func isNumberByte(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
    }
}
