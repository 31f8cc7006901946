/// RFC 3986 percent-decoding for path and query parameters before they are validated.
///
/// `+` stays a plus sign (it means space only in HTML form bodies, not in URIs). Malformed escapes and bytes that
/// do not decode to UTF-8 are reported rather than guessed at, so a validator never sees a silently altered value.
public enum PercentDecoding {
    public static func decode(_ text: Substring) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(ASCIIHex.value), let low = iterator.next().flatMap(ASCIIHex.value) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
