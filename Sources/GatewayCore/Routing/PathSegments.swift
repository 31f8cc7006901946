/// A path segment or host label as a dictionary key that compares raw UTF-8 bytes.
///
/// Why: lets the hot path look up a `Substring` of the request without building a `String`, and avoids
/// `String`'s Unicode canonical equivalence (routing must be byte-exact).
struct ByteKey: Hashable, Sendable {
    let text: Substring

    init(_ text: Substring) { self.text = text }
    init(_ text: String) { self.text = Substring(text) }

    static func == (a: ByteKey, b: ByteKey) -> Bool {
        a.text.utf8.count == b.text.utf8.count && a.text.utf8.elementsEqual(b.text.utf8)
    }

    func hash(into hasher: inout Hasher) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil {
            let copy = Array(text.utf8)
            copy.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }
}

/// Allocation-free "/"-separated segment scanning; empty segments are skipped, so "/a//b/" is ["a", "b"].
enum PathScan {
    static let slash = UInt8(ascii: "/")

    /// The next non-empty segment at or after `from`, or nil when only slashes remain.
    @inline(__always)
    static func nextSegment(_ path: Substring, from: Substring.Index) -> Range<Substring.Index>? {
        let utf8 = path.utf8
        var i = from
        while i < utf8.endIndex, utf8[i] == slash { utf8.formIndex(after: &i) }
        if i == utf8.endIndex { return nil }
        var j = i
        while j < utf8.endIndex, utf8[j] != slash { utf8.formIndex(after: &j) }
        return i..<j
    }
}
