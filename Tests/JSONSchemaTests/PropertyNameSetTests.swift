import Testing
@testable import JSONSchema

@Suite struct PropertyNameSetTests {
    /// Members are looked up with the tag their object keeps; here it is computed on the spot.
    func contains(_ set: PropertyNameSet, _ name: String) -> Bool { set.contains(name, tag: KeyTag(name)) }

    @Test func findsDeclaredNamesOfEveryLength() {
        let long = String(repeating: "x", count: 100)
        let names = ["id", "ab", "name", "", long, "é"]
        let set = PropertyNameSet(names + ["id"])
        for name in names { #expect(contains(set, name)) }
        #expect(!contains(set, "ic"))
        #expect(!contains(set, "nam"))
        #expect(!contains(set, String(repeating: "x", count: 99)))
        #expect(!contains(set, String(repeating: "y", count: 100)))
        #expect(!contains(set, String(repeating: "z", count: 300)))
    }

    /// JSON compares names by code points: "é" precomposed and "e" + combining accent are different properties,
    /// though Swift's `String ==` calls them equal.
    @Test func comparesCodePointsNotCanonicalEquivalence() {
        let set = PropertyNameSet(["\u{E9}"])
        #expect(contains(set, "\u{E9}"))
        #expect(!contains(set, "e\u{301}"))
    }

    /// Past 16 declared names the set hashes instead of scanning: same answers.
    @Test func largeSetsAnswerAlike() {
        let names = (0..<40).map { "property\($0)" } + ["\u{E9}", String(repeating: "q", count: 80)]
        let set = PropertyNameSet(names)
        for name in names { #expect(contains(set, name)) }
        #expect(!contains(set, "property40"))
        #expect(!contains(set, "e\u{301}"))
        #expect(!contains(set, String(repeating: "q", count: 79)))
    }
}
