/// A hash map from (parent node, byte string) to child node, shared by a whole trie.
///
/// Why: request segments are looked up as raw UTF-8 bytes without building `String`s, without `Hasher`'s seeded
/// SipHash, and byte-exactly (`String` equality would apply Unicode canonical equivalence). Keys come only from
/// config, so an unseeded FNV hash cannot be flooded by requests: they only probe, never insert.
struct SegmentMap: Sendable {
    struct Entry: Sendable {
        var hash: UInt64
        var parent: Int32
        var child: Int32
        var start: Int32
        var count: Int32
    }

    private var arena: [UInt8] = []
    private var entries: [Entry] = []
    /// Open addressing, linear probing; entry index or -1. Capacity is a power of two, load <= 1/2.
    private var slots: [Int32] = [Int32](repeating: -1, count: 8)

    var count: Int { entries.count }

    @inline(__always)
    static func hash(parent: Int32, _ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ (UInt64(UInt32(bitPattern: parent)) &* 0x9E37_79B9_7F4A_7C15)
        for b in key {
            h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3
        }
        return h ^ (h >> 29)
    }

    /// Returns the child for `key` under `parent`, or -1.
    @inline(__always)
    func lookup(parent: Int32, _ key: UnsafeBufferPointer<UInt8>) -> Int32 {
        let h = SegmentMap.hash(parent: parent, key)
        return slots.withUnsafeBufferPointer { slots in
            entries.withUnsafeBufferPointer { entries in
                arena.withUnsafeBufferPointer { arena in
                    let mask = slots.count - 1
                    var i = Int(truncatingIfNeeded: h) & mask
                    while true {
                        let e = Int(slots[i])
                        if e < 0 { return -1 }
                        let entry = entries[e]
                        if entry.hash == h, entry.parent == parent, Int(entry.count) == key.count {
                            var equal = true
                            let base = Int(entry.start)
                            for k in 0..<key.count where arena[base + k] != key[k] {
                                equal = false
                                break
                            }
                            if equal { return entry.child }
                        }
                        i = (i + 1) & mask
                    }
                }
            }
        }
    }

    func lookup(parent: Int32, _ key: some StringProtocol) -> Int32 {
        var text = String(key)
        return text.withUTF8 { lookup(parent: parent, $0) }
    }

    /// Adds a key (which must not be present yet).
    mutating func insert(parent: Int32, _ key: some StringProtocol, child: Int32) {
        var text = String(key)
        let h = text.withUTF8 { SegmentMap.hash(parent: parent, $0) }
        entries.append(Entry(hash: h, parent: parent, child: child, start: Int32(arena.count), count: Int32(text.utf8.count)))
        arena.append(contentsOf: text.utf8)
        if entries.count * 2 > slots.count {
            slots = [Int32](repeating: -1, count: slots.count * 2)
            for e in entries.indices { place(Int32(e)) }
        } else {
            place(Int32(entries.count - 1))
        }
    }

    private mutating func place(_ e: Int32) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: entries[Int(e)].hash) & mask
        while slots[i] >= 0 { i = (i + 1) & mask }
        slots[i] = e
    }
}

/// Allocation-free "/"-separated segment scanning over raw bytes; empty segments are skipped ("/a//b/" is a, b).
enum PathScan {
    static let slash = UInt8(ascii: "/")

    /// The next non-empty segment at or after byte offset `from`, or nil when only slashes remain.
    @inline(__always)
    static func nextSegment(_ path: UnsafeBufferPointer<UInt8>, from: Int) -> Range<Int>? {
        var i = from
        let end = path.count
        while i < end, path[i] == slash { i += 1 }
        if i == end { return nil }
        var j = i + 1
        while j < end, path[j] != slash { j += 1 }
        return i..<j
    }

    /// Runs `body` over the contiguous UTF-8 of `s` (copying only for non-native strings, which NIO never produces).
    @inline(__always)
    static func withBytes<R>(_ s: Substring, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var s = s
        return s.withUTF8(body)
    }

    /// The slice of `s` between two UTF-8 offsets that fall on ASCII boundaries.
    @inline(__always)
    static func slice(_ s: Substring, _ range: Range<Int>) -> Substring {
        let utf8 = s.utf8
        let lower = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
        let upper = utf8.index(lower, offsetBy: range.count)
        return Substring(utf8[lower..<upper])
    }
}
