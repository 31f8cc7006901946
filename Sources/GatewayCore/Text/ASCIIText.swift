/// Header names, tokens and media types are ASCII: compared and trimmed byte-wise, without allocating.
/// `@inlinable` so the edge's per-header calls stay specialised across the module boundary.
extension StringProtocol {
    /// ASCII case-insensitive equality without allocating (header names and tokens are ASCII).
    @inlinable
    public func equalsASCIICaseInsensitive(_ other: some StringProtocol) -> Bool {
        var a = utf8.makeIterator()
        var b = other.utf8.makeIterator()
        while true {
            switch (a.next(), b.next()) {
            case (nil, nil): return true
            case (let x?, let y?):
                if x != y && (x | 0x20) != (y | 0x20) { return false }
                if x != y && !((x | 0x20) >= 97 && (x | 0x20) <= 122) { return false }
            default: return false
            }
        }
    }

    /// Without the spaces and tabs HTTP allows around field values and parameters.
    @inlinable
    public func trimmingASCIIWhitespace() -> Substring {
        let s = Substring(self)
        let start = s.firstIndex(where: { $0 != " " && $0 != "\t" }) ?? s.endIndex
        let end = s.lastIndex(where: { $0 != " " && $0 != "\t" }).map { s.index(after: $0) } ?? start
        return start < end ? s[start..<end] : s[start..<start]
    }
}
