import Testing
@testable import JSONSchema

/// Compiled classes: union of ranges and property tests, negation, and the ASCII bitmap agreeing with the slow path.
@Suite struct CharacterClassTests {
    @Test func rangesAndNegation() {
        let lower = CharacterClass(ranges: ScalarRanges([0x61...0x7A]))
        #expect(lower.contains(0x61) && lower.contains(0x7A) && !lower.contains(0x41) && !lower.contains(0xE9))
        let notLower = CharacterClass(ranges: ScalarRanges([0x61...0x7A]), negated: true)
        #expect(!notLower.contains(0x61) && notLower.contains(0x41) && notLower.contains(0xE9))
        #expect(notLower.contains(0x1F600))
    }

    @Test func propertiesJoinTheUnionBeforeNegation() {
        let letterMask = UnicodeProperty.generalCategoryMask("L")!
        let letter = UnicodePropertyTest(kind: .generalCategories(letterMask), negated: false)
        // [\p{L}0-9]
        let cls = CharacterClass(ranges: ScalarRanges([0x30...0x39]), properties: [letter])
        #expect(cls.contains(0x35) && cls.contains(0x61) && cls.contains(0xE9) && cls.contains(0x4E2D))
        #expect(!cls.contains(0x2D) && !cls.contains(0x0660))  // "-" and ARABIC-INDIC DIGIT ZERO
        // [^\p{L}0-9]
        let negated = CharacterClass(ranges: ScalarRanges([0x30...0x39]), properties: [letter], negated: true)
        #expect(!negated.contains(0xE9) && negated.contains(0x2D) && negated.contains(0x0660))
    }

    @Test func asciiBitmapAgreesWithDefinition() {
        let classes: [(CharacterClass, (UInt32) -> Bool)] = [
            (CharacterClass(ranges: .wordCharacters), { ScalarRanges.wordCharacters.contains($0) }),
            (CharacterClass(ranges: .whitespace, negated: true), { !ScalarRanges.whitespace.contains($0) }),
            (CharacterClass(ranges: ScalarRanges([0x3F...0x41])), { (0x3F...0x41).contains($0) }),
            (CharacterClass(ranges: .empty, properties: [
                UnicodePropertyTest(kind: .binary(.uppercase), negated: true),
            ]), { !Unicode.Scalar($0)!.properties.isUppercase }),
        ]
        for (cls, expected) in classes {
            for v: UInt32 in 0..<128 { #expect(cls.contains(v) == expected(v), "\(v)") }
        }
    }

    @Test(arguments: [
        ("d", [0x30, 0x39], [0x2F, 0x3A, 0x7C0, 0x9EA]),
        ("D", [0x2F, 0x7C0, 0x1F600], [0x30, 0x35]),
        ("w", [0x61, 0x5A, 0x5F, 0x30], [0x2D, 0xE9, 0x17F, 0x212A]),
        ("W", [0x2D, 0xE9, 0x212A], [0x61, 0x5F]),
        ("s", [0x20, 0x09, 0xA0, 0xFEFF, 0x2029, 0x3000], [0x85, 0x200B, 0x61]),
        ("S", [0x85, 0x200B, 0x61], [0x20, 0x0A]),
    ] as [(String, [UInt32], [UInt32])])
    func classEscapes(_ letter: String, _ inside: [UInt32], _ outside: [UInt32]) throws {
        let ranges = try #require(CharacterClass.escape(letter.unicodeScalars.first!.value))
        let cls = CharacterClass(ranges: ranges)
        for v in inside { #expect(cls.contains(v), "\\\(letter) should contain U+\(String(v, radix: 16))") }
        for v in outside { #expect(!cls.contains(v), "\\\(letter) should not contain U+\(String(v, radix: 16))") }
    }

    @Test func helpers() {
        #expect(CharacterClass.escape(0x78) == nil)
        #expect(CharacterClass.isWordCharacter(0x5F) && !CharacterClass.isWordCharacter(nil))
        #expect(!CharacterClass.isWordCharacter(0xE9))
        for v: UInt32 in [0x0A, 0x0D, 0x2028, 0x2029] { #expect(CharacterClass.isLineTerminator(v)) }
        for v: UInt32 in [0x0B, 0x0C, 0x85] { #expect(!CharacterClass.isLineTerminator(v)) }
    }

    /// Classes inside patterns, end to end.
    @Test(arguments: [
        ("^[abc]+$", "cab", true), ("^[^abc]+$", "xyz", true), ("^[^abc]+$", "xaz", false),
        ("^[a-]$", "-", true), ("^[-a]$", "-", true), ("^[a\\-z]$", "b", false), ("^[a-c-e]$", "-", true),
        ("^[a-c-e]$", "d", false), ("^[\\d-]+$", "1-2", true), ("^[\\w.]+$", "a.b_1", true),
        ("^[\\s\\S]$", "\n", true), ("^[^\\s]$", " ", false), ("^[\\D]$", "5", false),
        ("^[\\x41-\\x43]+$", "ABC", true), ("^[\\u{1F600}-\\u{1F64F}]$", "\u{1F60A}", true),
        ("^[\\uD83D\\uDE00-\\uD83D\\uDE4F]$", "\u{1F60A}", true), ("^[\\]\\[]+$", "][", true),
        ("^[[]$", "[", true), ("^[.]$", "a", false), ("^[$^]+$", "^$", true), ("^[\\^]$", "^", true),
        ("^[\\b]$", "b", false), ("^[\\0]$", "\u{0}", true), ("^[\\cA]$", "\u{1}", true),
        ("^[\\p{Lu}\\p{Nd}]+$", "A\u{9EA}\u{c9}", true), ("^[\\p{Lu}\\p{Nd}]+$", "a", false),
        ("^[^\\p{L}]$", "\u{e9}", false), ("^[^\\P{L}]$", "\u{e9}", true), ("^[\\P{L}]$", "1", true),
        ("^[\\p{ASCII}]+$", "abc~", true), ("^[\\p{ASCII}]$", "\u{e9}", false), ("^[^\\p{Any}]$", "a", false),
    ])
    func classesInPatterns(_ pattern: String, _ text: String, _ expected: Bool) throws {
        #expect(try regexMatches(pattern, text) == expected)
    }
}
