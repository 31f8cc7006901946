/// A set of code points as sorted, disjoint, non-adjacent closed ranges: classes such as `[^a-z]` or `\S` cover
/// hundreds of thousands of scalars, and ranges keep union, negation and membership cheap regardless.
struct ScalarRanges: Sendable, Hashable {
    /// The highest code point; lone surrogates (D800–DFFF) are included so negation is exact, though a Swift
    /// `String` never contains one.
    static let maxCodePoint: UInt32 = 0x10FFFF

    private(set) var ranges: [ClosedRange<UInt32>]

    static let empty = ScalarRanges([])
    static let all = ScalarRanges([0...maxCodePoint])

    /// Normalises any list of ranges (unsorted, overlapping, adjacent).
    init(_ ranges: [ClosedRange<UInt32>]) {
        let sorted = ranges.sorted { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<UInt32>] = []
        merged.reserveCapacity(sorted.count)
        for r in sorted {
            if let last = merged.last, r.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        self.ranges = merged
    }

    init(scalars: [UInt32]) {
        self.init(scalars.map { $0...$0 })
    }

    var isEmpty: Bool { ranges.isEmpty }

    func contains(_ value: UInt32) -> Bool {
        var low = 0
        var high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            let r = ranges[mid]
            if value < r.lowerBound {
                high = mid
            } else if value > r.upperBound {
                low = mid + 1
            } else {
                return true
            }
        }
        return false
    }

    func union(_ other: ScalarRanges) -> ScalarRanges {
        ScalarRanges(ranges + other.ranges)
    }

    /// Every code point not in the set.
    func inverted() -> ScalarRanges {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for r in ranges {
            if r.lowerBound > next { result.append(next...(r.lowerBound - 1)) }
            next = r.upperBound &+ 1
        }
        if next <= Self.maxCodePoint {
            result.append(next...Self.maxCodePoint)
        }
        return ScalarRanges(result)
    }
}

extension ScalarRanges {
    /// `\d`: ASCII digits only, as ECMA-262 defines it even with the `u` flag.
    static let digits = ScalarRanges([0x30...0x39])
    /// `\w` and the `\b` word test: `[A-Za-z0-9_]` (ECMA-262 without the `i` flag).
    static let wordCharacters = ScalarRanges([0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
    /// ECMA-262 LineTerminator: what `.` does not match.
    static let lineTerminators = ScalarRanges([0x0A...0x0A, 0x0D...0x0D, 0x2028...0x2029])
    /// `\s`: ECMA-262 WhiteSpace (TAB, VT, FF, SP, NBSP, ZWNBSP, category Zs) plus LineTerminator. Zs is written
    /// out (it has been stable since Unicode 4); a test checks it against the standard library's categories.
    static let whitespace = ScalarRanges([
        0x09...0x0D, 0x20...0x20, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A, 0x2028...0x2029,
        0x202F...0x202F, 0x205F...0x205F, 0x3000...0x3000, 0xFEFF...0xFEFF,
    ])
}
