/// A member name's identity in 16 bytes, so matching names is two integer comparisons instead of a `String`
/// comparison (tens of nanoseconds, and validation compares a name for every declared property it looks up).
///
/// Names of up to 15 UTF-8 bytes are packed whole with their length: equal tags mean equal names. Longer names
/// keep their length, first eight bytes and a hash of all bytes: equal tags then still need a byte comparison.
struct KeyTag: Hashable, Sendable {
    private let low: UInt64
    private let high: UInt64

    private static let maxExactLength = 15

    init(_ name: String) {
        if let tag = name.utf8.withContiguousStorageIfAvailable({ KeyTag(UnsafeRawBufferPointer($0)) }) {
            self = tag
        } else {
            self = Array(name.utf8).withUnsafeBytes { KeyTag($0) }
        }
    }

    init(_ bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        var low: UInt64 = 0
        var high: UInt64 = 0
        if count <= KeyTag.maxExactLength {
            for index in 0..<count {
                let byte = UInt64(bytes[index])
                if index < 8 { low |= byte << (8 * UInt64(index)) } else { high |= byte << (8 * UInt64(index - 8)) }
            }
            high |= UInt64(count) << 56
        } else {
            for index in 0..<8 { low |= UInt64(bytes[index]) << (8 * UInt64(index)) }
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            high = UInt64(min(count, 255)) << 56 | hash & 0x00ff_ffff_ffff_ffff
        }
        self.low = low
        self.high = high
    }

    /// Whether equal tags already prove equal names.
    var isExact: Bool { high >> 56 <= UInt64(KeyTag.maxExactLength) }

    /// Whether `name` (tagged `self`) and `other` (tagged `otherTag`) are the same name, byte for byte.
    @inline(__always)
    func matches(_ otherTag: KeyTag, _ name: String, _ other: String) -> Bool {
        self == otherTag && (isExact || ExactKey.same(name, other))
    }
}

/// A property name a schema declares, with its tag computed once at compile time.
struct PropertyKey: Sendable {
    let name: String
    let tag: KeyTag

    init(_ name: String) {
        self.name = name
        tag = KeyTag(name)
    }
}
