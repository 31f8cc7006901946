import Testing
@testable import JSONSchema

/// The ASCII automaton: built for the patterns schemas use, absent where it cannot be exact or small, and giving
/// the Pike VM's answer on every string (differential tests over exhaustive short strings and seeded random ones).
@Suite struct RegexDFATests {
    static let typicalPatterns = [
        "^ord_[0-9A-Za-z]{16}$", "^[a-z][a-z0-9-]{0,31}$", "^\\+[1-9][0-9]{6,14}$", "^[0-9A-Z -]{3,10}$",
    ]

    @Test(arguments: typicalPatterns)
    func builtForTypicalPatterns(_ pattern: String) throws {
        let dfa = try #require(try ECMARegex(pattern).dfa)
        #expect(dfa.stateCount < 64)
    }

    @Test func typicalPatternsMatch() throws {
        let order = try ECMARegex("^ord_[0-9A-Za-z]{16}$")
        #expect(order.firstMatch(in: "ord_0123456789abcDEF"))
        #expect(!order.firstMatch(in: "ord_0123456789abcDE"))
        #expect(!order.firstMatch(in: "ord_0123456789abcDEF0"))
        #expect(!order.firstMatch(in: "ord_0123456789abcDE\n"))
        let slug = try ECMARegex("^[a-z][a-z0-9-]{0,31}$")
        #expect(slug.firstMatch(in: "a") && slug.firstMatch(in: "a" + String(repeating: "-", count: 31)))
        #expect(!slug.firstMatch(in: "a" + String(repeating: "-", count: 32)) && !slug.firstMatch(in: "1a"))
        let phone = try ECMARegex("^\\+[1-9][0-9]{6,14}$")
        #expect(phone.firstMatch(in: "+4915112345678"))
        #expect(!phone.firstMatch(in: "+0123456") && !phone.firstMatch(in: "+123456"))
        let postcode = try ECMARegex("^[0-9A-Z -]{3,10}$")
        #expect(postcode.firstMatch(in: "SW1A 1AA"))
        #expect(!postcode.firstMatch(in: "sw1a 1aa") && !postcode.firstMatch(in: "AB"))
    }

    @Test(arguments: ["\\bfoo", "a\\B", "^\\b\\d+\\b$"])
    func noneForWordBoundaries(_ pattern: String) throws {
        #expect(try ECMARegex(pattern).dfa == nil)
    }

    @Test func hostilePatternGivesUpQuicklyAndStillMatches() throws {
        let clock = ContinuousClock()
        var regex: ECMARegex?
        let elapsed = try clock.measure { regex = try ECMARegex("(a|b)*a(a|b){20}") }
        let hostile = try #require(regex)
        #expect(hostile.dfa == nil)
        #expect(elapsed < .milliseconds(250), "construction took \(elapsed)")
        #expect(hostile.firstMatch(in: "bb" + "a" + String(repeating: "b", count: 20)))
        #expect(!hostile.firstMatch(in: String(repeating: "b", count: 30) + "a" + String(repeating: "b", count: 19)))
    }

    @Test(arguments: ["^[a-z]{600}$", "[0-9a-f]{4000}", "(?:[a-c][a-c]?){2000}x"])
    func longProgramsGiveUpQuickly(_ pattern: String) throws {
        let clock = ContinuousClock()
        var regex: ECMARegex?
        let elapsed = try clock.measure { regex = try ECMARegex(pattern) }
        #expect(try #require(regex).dfa == nil)
        #expect(elapsed < .milliseconds(250), "construction took \(elapsed)")
    }

    @Test func nonASCIITextFallsBackToThePikeVM() throws {
        #expect(try regexMatches("^.$", "\u{e9}"))
        #expect(try !regexMatches("^..$", "\u{e9}"))
        #expect(try regexMatches("^a.b$", "a\u{1F600}b"))
        #expect(try regexMatches("^\\p{L}+$", "ab\u{e9}c"))
        #expect(try !regexMatches("^[a-z]+$", "ab\u{e9}c"))
        #expect(try regexMatches("^[^a]$", "\u{2028}"))
        #expect(try !regexMatches("^.$", "\u{2028}"))
        let regex = try ECMARegex("^.$")
        #expect(try #require(regex.dfa).matches("\u{e9}") == nil)
        // Decided before the first non-ASCII byte: no fallback needed.
        #expect(try #require(try ECMARegex("^ab").dfa).matches("ab\u{e9}") == true)
        #expect(try #require(try ECMARegex("^ab").dfa).matches("x\u{e9}") == false)
    }

    // MARK: Differential: the automaton against the Pike VM

    struct Differential: Sendable, CustomTestStringConvertible {
        let pattern: String
        /// Strings are built from these pieces (multi-character ones reach the interesting lengths sooner).
        let pieces: [String]
        init(_ pattern: String, _ pieces: [String]) {
            self.pattern = pattern
            self.pieces = pieces + ["\n", "\r"]
        }
        var testDescription: String { "/\(pattern)/" }
    }

    static let differentials: [Differential] = [
        .init("^ord_[0-9A-Za-z]{3}$", ["ord_", "o", "A", "7", "_"]),
        .init("^[a-z][a-z0-9-]{0,3}$", ["a", "0", "-", "A"]),
        .init("^\\+[1-9][0-9]{1,3}$", ["+", "1", "0", "a"]),
        .init("^[0-9A-Z -]{2,4}$", ["0", "A", " ", "-", "a"]),
        .init("", ["a"]), .init("^$", ["a"]), .init("$", ["a"]), .init("^", ["a"]),
        .init("abc", ["a", "b", "c", "abc"]), .init("a|^b", ["a", "b", "c"]), .init("(^a|b)c", ["a", "b", "c"]),
        .init("a$|b", ["a", "b", "c"]), .init("x*", ["x", "y"]), .init("^x*$", ["x", "y"]),
        .init("a^", ["a", "b"]), .init("$a", ["a", "b"]), .init("(?:)^a", ["a", "b"]), .init("a?^b", ["a", "b"]),
        .init("(?:^|,)x", ["x", ",", "a"]), .init("x(?:$|,)", ["x", ",", "a"]), .init("^^a$$", ["a"]),
        .init("^a|b$", ["a", "b", "c"]), .init("(a|ab)(c|bcd)(d*)", ["a", "b", "c", "d"]),
        .init("^(?:a|b)*abb$", ["a", "b"]), .init("(a|b)*a(a|b){3}", ["a", "b"]),
        .init("^(cat|dog)s?$", ["cat", "dog", "s", "c"]),
        .init("a{2,3}", ["a", "b"]), .init("^(?:ab){2,}$", ["ab", "a", "b"]), .init("^a{0}$", ["a"]),
        .init("^(|a)$", ["a"]), .init("^(a*)*$", ["a", "b"]), .init("[^a]b", ["a", "b", "c"]),
        .init("^[^\\n]*$", ["a", "b"]), .init("\\d+", ["1", "a"]), .init("^\\D\\d$", ["1", "a", " "]),
        .init("\\w\\W", ["a", "_", " ", "-"]), .init("^\\s*\\S+\\s*$", [" ", "\t", "a", "\u{b}"]),
        .init(".", ["a"]), .init("^.+$", ["a", " "]), .init("a.c", ["a", "c", "b"]), .init("^.$", ["a", "\t"]),
        .init("\\n", ["a"]), .init("^\\r?\\n$", ["a"]), .init("[\\n\\r]x", ["x"]), .init("[^\\n\\r]x", ["x", "y"]),
        .init("^[\\x00-\\x7f]{2}$", ["\u{0}", "\u{7f}", "a"]), .init("[^\\x00-\\x7f]", ["a"]),
        .init("\u{e9}|a", ["a", "b"]), .init("\\u2028", ["a"]), .init("^\\p{L}\\p{Nd}$", ["a", "1", "_"]),
        .init("[\\t ]+$", ["\t", " ", "a"]), .init("a\\.b", ["a", ".", "b", "x"]),
        .init("^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?$", ["-", "0", "1", ".", "e", "+"]),
    ]

    @Test(arguments: differentials)
    func agreesWithThePikeVM(_ d: Differential) throws {
        let regex = try ECMARegex(d.pattern)
        let dfa = try #require(regex.dfa)
        var strings: [String] = [""]
        var frontier: [String] = [""]
        while strings.count * d.pieces.count < 4000 {
            frontier = frontier.flatMap { s in d.pieces.map { s + $0 } }
            strings += frontier
        }
        var random = SplitMix64(seed: 0x5EED)
        let extra = ["x", "0", " ", "_", "-", "A", "\t", "\u{e9}", "\u{2028}"]
        for _ in 0..<500 {
            let length = Int(random.next() % 16)
            strings.append((0..<length).map { _ in
                let pool = random.next() % 4 == 0 ? extra : d.pieces
                return pool[Int(random.next() % UInt64(pool.count))]
            }.joined())
        }
        var mismatches: [String] = []
        for s in strings {
            let expected = PikeVM.search(regex.program, in: s)
            if let answer = dfa.matches(s) {
                if answer != expected { mismatches.append(s) }
            } else if s.utf8.allSatisfy({ $0 < 0x80 }) || regex.firstMatch(in: s) != expected {
                mismatches.append(s)
            }
        }
        let agree = mismatches.isEmpty  // a Bool, so a failure prints the examples, not the whole list
        let examples = mismatches.prefix(3).map(\.debugDescription)
        #expect(agree, "\(mismatches.count) of \(strings.count) differ: \(examples)")
    }
}

/// A fixed-seed generator, so a failing random string reproduces.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
