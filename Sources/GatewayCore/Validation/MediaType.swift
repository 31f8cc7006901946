/// Whether a request's `Content-Type` is JSON as the contract defines it: `application/json` or any `+json`
/// structured suffix (`application/merge-patch+json`), parameters such as `charset` ignored, case-insensitive.
public enum MediaType {
    /// Read as UTF-8 bytes: the check runs on every validated request, and `Character` slicing cost more than it.
    public static func isJSON(_ contentType: Substring) -> Bool {
        var contentType = contentType
        return contentType.withUTF8 { isJSON(bytes: $0) }
    }

    private static func isJSON(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        var end = bytes.firstIndex(of: UInt8(ascii: ";")) ?? bytes.count
        var start = 0
        while start < end, isBlank(bytes[start]) { start += 1 }
        while end > start, isBlank(bytes[end - 1]) { end -= 1 }
        guard let slash = bytes[start..<end].firstIndex(of: UInt8(ascii: "/")) else { return false }
        let type = bytes[start..<slash]
        let subtype = bytes[(slash + 1)..<end]
        guard !type.isEmpty, !subtype.isEmpty, !subtype.contains(UInt8(ascii: "/")) else { return false }
        let hasJSONSuffix = subtype.count >= 5 && equalsIgnoringCase(subtype.suffix(5), "+json")
        if equalsIgnoringCase(type, "application") { return hasJSONSuffix || equalsIgnoringCase(subtype, "json") }
        return hasJSONSuffix
    }

    /// ASCII case-insensitive comparison with a lower-case literal.
    private static func equalsIgnoringCase(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            zip(bytes, expected).allSatisfy { byte, wanted in
                byte == wanted || (wanted >= 97 && wanted <= 122 && byte == wanted - 32)
            }
        }
    }
}
