/// A compiled character class: `[...]`, `[^...]`, or a class escape (`\d`, `\S`, `\p{L}`) standing alone.
///
/// The class is the union of `ranges` and `properties`, then complemented if `negated`. ASCII is answered from a
/// 128-bit map computed once, because schema patterns and the strings they check are overwhelmingly ASCII.
struct CharacterClass: Sendable, Hashable {
    let ranges: ScalarRanges
    let properties: [UnicodePropertyTest]
    let negated: Bool
    private var asciiLow: UInt64 = 0
    private var asciiHigh: UInt64 = 0

    init(ranges: ScalarRanges, properties: [UnicodePropertyTest] = [], negated: Bool = false) {
        self.ranges = ranges
        self.properties = properties
        self.negated = negated
        for value: UInt32 in 0..<128 where slowContains(value) {
            if value < 64 { asciiLow |= 1 << UInt64(value) } else { asciiHigh |= 1 << UInt64(value - 64) }
        }
    }

    @inline(__always)
    func contains(_ value: UInt32) -> Bool {
        if value < 64 { return asciiLow >> UInt64(value) & 1 == 1 }
        if value < 128 { return asciiHigh >> UInt64(value - 64) & 1 == 1 }
        return slowContains(value)
    }

    private func slowContains(_ value: UInt32) -> Bool {
        var hit = ranges.contains(value)
        if !hit, !properties.isEmpty, let scalar = Unicode.Scalar(value) {
            hit = properties.contains { $0.matches(scalar) }
        }
        return hit != negated
    }
}

extension CharacterClass {
    /// The class an escape such as `\d` or `\W` stands for, outside or inside brackets.
    static func escape(_ letter: UInt32) -> ScalarRanges? {
        switch letter {
        case 0x64: .digits  // d
        case 0x44: ScalarRanges.digits.inverted()  // D
        case 0x77: .wordCharacters  // w
        case 0x57: ScalarRanges.wordCharacters.inverted()  // W
        case 0x73: .whitespace  // s
        case 0x53: ScalarRanges.whitespace.inverted()  // S
        default: nil
        }
    }

    /// `\b`/`\B`: an ASCII word character on exactly one side (ECMA-262's IsWordChar without `i`).
    @inline(__always)
    static func isWordCharacter(_ value: UInt32?) -> Bool {
        guard let v = value else { return false }
        return (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A) || (v >= 0x30 && v <= 0x39) || v == 0x5F
    }

    /// `.` without the `s` flag: anything but a LineTerminator.
    @inline(__always)
    static func isLineTerminator(_ v: UInt32) -> Bool {
        v == 0x0A || v == 0x0D || v == 0x2028 || v == 0x2029
    }
}
