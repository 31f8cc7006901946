/// One JSON string escape (RFC 8259 §7) decoded to UTF-8. Every JSON reader in the project (the schema parser, the
/// one-pass check, the config parser) decodes through it, so they cannot disagree on what an escape means.
public enum JSONEscape {
    /// Why an escape could not be decoded; each reader words (and places) its own error from it.
    public enum Failure: Error, Sendable, Equatable {
        /// The input ends right after the backslash.
        case unterminated
        /// The byte after the backslash is none of `" \ / b f n r t u`.
        case unknown(UInt8)
        /// Fewer than four bytes left for `\uXXXX`; `escapeAt` is that escape's backslash.
        case truncatedHex(escapeAt: Int)
        /// A byte that is not a hex digit inside `\uXXXX`; `escapeAt` is that escape's backslash.
        case invalidHex(escapeAt: Int)
        /// A high surrogate not followed by a low one, or a low one alone.
        case loneSurrogate
    }

    /// Decodes the escape whose backslash is at `position`: appends its UTF-8 to `output` and moves `position` past
    /// it (past both halves of a surrogate pair). On failure `position` is where the problem was found.
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at position: inout Int,
                              into output: inout [UInt8]) -> Failure? {
        let backslash = position
        position += 1
        guard position < bytes.count else { return .unterminated }
        let escape = bytes[position]
        position += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escape)
        case UInt8(ascii: "b"): output.append(0x08)
        case UInt8(ascii: "f"): output.append(0x0C)
        case UInt8(ascii: "n"): output.append(0x0A)
        case UInt8(ascii: "r"): output.append(0x0D)
        case UInt8(ascii: "t"): output.append(0x09)
        case UInt8(ascii: "u"):
            var code: UInt32 = 0
            if let failure = hex4(bytes, &position, escapeAt: backslash, into: &code) { return failure }
            if (0xD800...0xDBFF).contains(code) {
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                      bytes[position + 1] == UInt8(ascii: "u") else { return .loneSurrogate }
                let lowBackslash = position
                position += 2
                var low: UInt32 = 0
                if let failure = hex4(bytes, &position, escapeAt: lowBackslash, into: &low) { return failure }
                guard (0xDC00...0xDFFF).contains(low) else { return .loneSurrogate }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(code) {
                return .loneSurrogate
            }
            appendUTF8(code, to: &output)
        default:
            return .unknown(escape)
        }
        return nil
    }

    /// The four hex digits of a `\u` escape, read from `position`.
    private static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, _ position: inout Int, escapeAt: Int,
                             into value: inout UInt32) -> Failure? {
        guard position + 4 <= bytes.count else { return .truncatedHex(escapeAt: escapeAt) }
        for _ in 0..<4 {
            guard let digit = HexDigit.value(UInt32(bytes[position])) else { return .invalidHex(escapeAt: escapeAt) }
            value = value << 4 | digit
            position += 1
        }
        return nil
    }

    /// Appends a Unicode scalar value (not a surrogate) as UTF-8.
    public static func appendUTF8(_ scalar: UInt32, to output: inout [UInt8]) {
        switch scalar {
        case ..<0x80:
            output.append(UInt8(scalar))
        case ..<0x800:
            output.append(UInt8(0xC0 | scalar >> 6))
            output.append(UInt8(0x80 | scalar & 0x3F))
        case ..<0x10000:
            output.append(UInt8(0xE0 | scalar >> 12))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        default:
            output.append(UInt8(0xF0 | scalar >> 18))
            output.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
