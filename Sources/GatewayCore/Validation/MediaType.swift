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
        let hasJSONSuffix = ASCIIBytes.equalIgnoringCase(subtype.suffix(5), "+json".utf8)
        if ASCIIBytes.equalIgnoringCase(type, "application".utf8) {
            return hasJSONSuffix || ASCIIBytes.equalIgnoringCase(subtype, "json".utf8)
        }
        return hasJSONSuffix
    }
}
