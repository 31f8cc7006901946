import Testing
@testable import JSONSchema

@Suite struct PropertyNameSetTests {
    @Test func findsDeclaredNamesOfEveryLength() {
        let long = String(repeating: "x", count: 100)
        let names = ["id", "ab", "name", "", long, "é"]
        let set = PropertyNameSet(names + ["id"])
        for name in names { #expect(set.contains(name)) }
        #expect(!set.contains("ic"))
        #expect(!set.contains("nam"))
        #expect(!set.contains(String(repeating: "x", count: 99)))
        #expect(!set.contains(String(repeating: "y", count: 100)))
        #expect(!set.contains(String(repeating: "z", count: 300)))
    }

    /// JSON compares names by code points: "é" precomposed and "e" + combining accent are different properties,
    /// though Swift's `String ==` calls them equal.
    @Test func comparesCodePointsNotCanonicalEquivalence() {
        let set = PropertyNameSet(["\u{E9}"])
        #expect(set.contains("\u{E9}"))
        #expect(!set.contains("e\u{301}"))
    }
}
