/// `json-pointer` (RFC 6901) and `relative-json-pointer` (draft-handrews-relative-json-pointer-01) formats.
enum PointerFormats {
    /// "" or "/"-prefixed reference tokens in which "~" is only ever "~0" or "~1".
    static func isJSONPointer(_ text: Substring) -> Bool {
        if text.isEmpty { return true }
        guard text.first == "/" else { return false }
        var scalars = text.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            if scalar == "~" {
                guard let next = scalars.next(), next == "0" || next == "1" else { return false }
            }
        }
        return true
    }

    /// A non-negative integer without leading zeros, then "#" or a JSON pointer.
    static func isRelativeJSONPointer(_ text: String) -> Bool {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits == "0" || digits.first != "0" else { return false }
        let rest = text[digits.endIndex...]
        return rest == "#" || isJSONPointer(rest)
    }
}
