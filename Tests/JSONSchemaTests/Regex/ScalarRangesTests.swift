import Testing
@testable import JSONSchema

/// The range set under every class: normalisation, membership at the edges, and exact complements.
@Suite struct ScalarRangesTests {
    @Test func normalisesUnsortedOverlappingAndAdjacentRanges() {
        let set = ScalarRanges([10...20, 0...3, 15...30, 4...4, 40...50, 31...31])
        #expect(set.ranges == [0...4, 10...31, 40...50])
        #expect(ScalarRanges(scalars: [3, 1, 2, 2, 9]).ranges == [1...3, 9...9])
        #expect(ScalarRanges([]).isEmpty)
    }

    @Test func membershipAtEdges() {
        let set = ScalarRanges([0...0, 5...9, 0x10FFFF...0x10FFFF])
        for v: UInt32 in [0, 5, 7, 9, 0x10FFFF] { #expect(set.contains(v)) }
        for v: UInt32 in [1, 4, 10, 0x10FFFE, 0x110000] { #expect(!set.contains(v)) }
        #expect(!ScalarRanges.empty.contains(0))
    }

    @Test func inversionIsExact() {
        #expect(ScalarRanges.empty.inverted() == .all)
        #expect(ScalarRanges.all.inverted() == .empty)
        let set = ScalarRanges([0...9, 100...200, 0x10FFF0...0x10FFFF])
        #expect(set.inverted().ranges == [10...99, 201...0x10FFEF])
        #expect(set.inverted().inverted() == set)
        #expect(ScalarRanges([5...5]).inverted().ranges == [0...4, 6...0x10FFFF])
    }

    @Test func unionMerges() {
        let a = ScalarRanges([0...5])
        let b = ScalarRanges([6...8, 20...21])
        #expect(a.union(b).ranges == [0...8, 20...21])
    }

    @Test func predefinedSets() {
        #expect(ScalarRanges.digits.ranges == [0x30...0x39])
        #expect(ScalarRanges.wordCharacters.ranges.count == 4)
        for c in "azAZ09_".unicodeScalars { #expect(ScalarRanges.wordCharacters.contains(c.value)) }
        for c in "-$ \u{e9}\u{131}".unicodeScalars { #expect(!ScalarRanges.wordCharacters.contains(c.value)) }
        #expect(ScalarRanges.lineTerminators.ranges == [0x0A...0x0A, 0x0D...0x0D, 0x2028...0x2029])
    }

    /// `\s` hard-codes the Zs category; it must agree with the standard library's Unicode data.
    @Test func whitespaceAgreesWithUnicodeSpaceSeparators() {
        let extra: Set<UInt32> = [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x2028, 0x2029, 0xFEFF]
        for v: UInt32 in 0...0x10FFFF {
            guard let scalar = Unicode.Scalar(v) else { continue }
            let expected = scalar.properties.generalCategory == .spaceSeparator || extra.contains(v)
            if ScalarRanges.whitespace.contains(v) != expected {
                Issue.record("U+\(String(v, radix: 16)): \\s says \(!expected)")
            }
        }
    }
}
