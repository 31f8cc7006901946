/// Header names, tokens and media types are ASCII: compared and trimmed byte-wise, without allocating.
/// `@inlinable` so the edge's per-header calls stay specialised across the module boundary.
extension StringProtocol {
    /// ASCII case-insensitive equality without allocating (header names and tokens are ASCII).
    @inlinable
    public func equalsASCIICaseInsensitive(_ other: some StringProtocol) -> Bool {
        ASCIIBytes.equalIgnoringCase(utf8, other.utf8)
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

/// The byte-level comparison behind `equalsASCIICaseInsensitive`, for callers that hold bytes rather than strings.
public enum ASCIIBytes {
    /// ASCII case-insensitive equality: letters match either case, every other byte only itself.
    @inlinable
    public static func equalIgnoringCase(_ lhs: some Sequence<UInt8>, _ rhs: some Sequence<UInt8>) -> Bool {
        // Native strings and buffers are contiguous: compared in place, without iterators (most calls).
        let contiguous = lhs.withContiguousStorageIfAvailable { a in
            rhs.withContiguousStorageIfAvailable { b in equalIgnoringCase(buffer: a, b) }
        }
        if let contiguous, let answer = contiguous { return answer }
        var a = lhs.makeIterator()
        var b = rhs.makeIterator()
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

    @inlinable @usableFromInline
    static func equalIgnoringCase(buffer a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where a[i] != b[i] {
            let folded = a[i] | 0x20
            guard folded == b[i] | 0x20, folded >= 97, folded <= 122 else { return false }
        }
        return true
    }

    /// Whether `text` holds `byte`: memchr-fast on contiguous storage (a header name's `_` check runs per header).
    @inlinable
    public static func contains(_ byte: UInt8, in text: some StringProtocol) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { $0.contains(byte) } ?? text.utf8.contains(byte)
    }
}
