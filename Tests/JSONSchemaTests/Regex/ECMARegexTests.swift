import Testing
@testable import JSONSchema

/// The public API as the validator uses it, the JSON Schema behaviours the official suite checks (our own cases,
/// written from its descriptions), and the guarantee that matters most: hostile patterns run in linear time.
@Suite struct ECMARegexTests {
    // MARK: What the JSON Schema suite expects of `pattern` / `patternProperties`

    @Test func dollarDoesNotMatchBeforeATrailingNewline() throws {
        #expect(try regexMatches("^abc$", "abc"))
        #expect(try !regexMatches("^abc$", "abc\n"))
    }

    @Test func digitAndWordEscapesAreASCII() throws {
        #expect(try regexMatches("^\\d$", "7"))
        #expect(try !regexMatches("^\\d$", "\u{7C0}"))  // NKO DIGIT ZERO
        #expect(try regexMatches("^\\D$", "\u{7C0}"))
        #expect(try !regexMatches("^\\d+$", "\u{9EA}\u{9E8}"))  // Bengali digits
        #expect(try regexMatches("^\\w$", "_"))
        #expect(try !regexMatches("^\\w$", "\u{e9}"))
        #expect(try regexMatches("^\\W$", "\u{e9}"))
        #expect(try !regexMatches("^\\W$", "a"))
    }

    @Test func whitespaceEscapeIsECMAsSet() throws {
        for s in [" ", "\t", "\u{b}", "\u{c}", "\u{a0}", "\u{feff}", "\n", "\r", "\u{2028}", "\u{2029}", "\u{2003}",
                  "\u{3000}", "\u{1680}", "\u{202f}"] {
            #expect(try regexMatches("^\\s$", s), "\(s.unicodeScalars.first!.value)")
            #expect(try !regexMatches("^\\S$", s))
        }
        for s in ["\u{1}", "\u{2013}", "\u{85}", "\u{200b}", "\u{180e}", "a"] {
            #expect(try !regexMatches("^\\s$", s), "\(s.unicodeScalars.first!.value)")
            #expect(try regexMatches("^\\S$", s))
        }
    }

    @Test func patternsUseUnicodeSemantics() throws {
        let ascii = "trois lieux: l'ecole, l'eglise et la patinoire"
        let accented = "trois lieux: l'\u{e9}cole, l'\u{e9}glise et la patinoire"
        let upper = "TROIS LIEUX: L'\u{c9}COLE, L'\u{c9}GLISE ET LA PATINOIRE"
        #expect(try regexMatches("\\p{Letter}cole", ascii))
        #expect(try regexMatches("\\p{Letter}cole", accented))
        #expect(try !regexMatches("\\p{Letter}cole", upper))  // case-sensitive
        #expect(try regexMatches("\\wcole", ascii))
        #expect(try !regexMatches("\\wcole", accented))
        #expect(try regexMatches("[a-z]cole", ascii))
        #expect(try !regexMatches("[a-z]cole", accented))
        #expect(try regexMatches("^\\p{digit}+$", "42"))
        #expect(try regexMatches("^\\p{digit}+$", "\u{9EA}\u{9E8}"))
        #expect(try !regexMatches("^\\p{digit}+$", "-%#"))
    }

    @Test func nonBMPScalarsAreSingleCharacters() throws {
        let dragon = "\u{1F432}"
        #expect(try regexMatches("^\(dragon)*$", ""))
        #expect(try regexMatches("^\(dragon)*$", dragon + dragon))
        #expect(try !regexMatches("^\(dragon)*$", "\u{1F409}"))
        #expect(try regexMatches("^.$", dragon))
        #expect(try regexMatches("^[\(dragon)]$", dragon))
        #expect(try !regexMatches("^[^\(dragon)]$", dragon))
    }

    @Test func notAControlEscape() {
        #expect(regexError("\\a")?.kind == .syntax)
        #expect(!ECMARegex.isValidSyntax("\\a"))
    }

    /// `format: "regex"` accepts ECMA-262 syntax and rejects other dialects, whether or not we can run it.
    @Test func formatRegexSyntax() {
        for valid in ["([abc])+\\s+$", "(?<name>x)", "(?<n>a)\\k<n>", "(?<=a+)b", "[]", "[^]", "\\cA"] {
            #expect(ECMARegex.isValidSyntax(valid), "\(valid)")
        }
        for invalid in ["^(abc]", "\\a", "(?P<name>x)", "(?P<n>a)(?P=n)", "(?#comment)a", "(?i)abc", "(?ims)abc"] {
            #expect(!ECMARegex.isValidSyntax(invalid), "\(invalid)")
        }
    }

    @Test func emptyClassMatchesNothingAndNegatedEmptyMatchesAnything() throws {
        #expect(try !regexMatches("[]", "abc"))
        #expect(try !regexMatches("[]", ""))
        #expect(try regexMatches("^[^]$", "\n"))
        #expect(try regexMatches("^[^]$", "\u{10FFFF}"))
        #expect(try !regexMatches("^[^]$", ""))
    }

    // MARK: Linear time: these return at all only because nothing backtracks (no timing is asserted)

    @Test func nestedQuantifiersDoNotBacktrack() throws {
        let text = String(repeating: "a", count: 100_000) + "b"
        #expect(try !ECMARegex("^(a+)+$").firstMatch(in: text))
        #expect(try !ECMARegex("^(a|a)*$").firstMatch(in: text))
        #expect(try !ECMARegex("^(a|aa)+$").firstMatch(in: text))
        #expect(try !ECMARegex("^(a*)*$").firstMatch(in: text))
        #expect(try !ECMARegex("(x+x+)+y").firstMatch(in: String(repeating: "x", count: 100_000)))
        #expect(try ECMARegex("^(a+)+b$").firstMatch(in: text))
    }

    @Test func unanchoredSearchOverLongInput() throws {
        let text = String(repeating: "ab", count: 50_000)
        #expect(try !ECMARegex("(?:a|b)*c").firstMatch(in: text))
        #expect(try !ECMARegex("(.*a){12}x").firstMatch(in: text))
        #expect(try ECMARegex("b$").firstMatch(in: text))
    }

    @Test func millionScalarInputNeedsNoStack() throws {
        let text = String(repeating: "\u{e9}", count: 1_000_000)
        #expect(try ECMARegex("^\\p{L}*$").firstMatch(in: text))
        #expect(try ECMARegex("^(?:.)+$").firstMatch(in: text))
        #expect(try !ECMARegex("^[^\u{e9}]").firstMatch(in: text))
    }

    // MARK: Program size

    @Test func largeCountedRepetitionsAreRefused() {
        let error = regexError("^a{1,100000}$")
        #expect(error?.kind == .tooLarge)
        #expect(error?.position == 2)
        #expect(regexError("x{1000000000}")?.kind == .tooLarge)
        #expect(regexError("(a{100}){200}")?.position == 8)  // the outer count multiplied it
        #expect(regexError("a{5000}b{5000}")?.position == 8)
        #expect(regexError(String(repeating: "a", count: ECMARegex.maxProgramSize))?.kind == .tooLarge)
        #expect(ECMARegex.isValidSyntax("^a{1,100000}$"))
    }

    @Test func moderateCountedRepetitionsCompileAndMatch() throws {
        let regex = try ECMARegex("^[0-9a-f]{1,64}$")
        #expect(regex.firstMatch(in: String(repeating: "f", count: 64)))
        #expect(!regex.firstMatch(in: String(repeating: "f", count: 65)))
        #expect(try regexMatches("^(?:){1000000000}$", ""))
        #expect(try regexMatches("^a{0,4000}$", String(repeating: "a", count: 4000)))
    }

    // MARK: Sharing

    @Test func oneRegexSharedAcrossTasks() async throws {
        let regex = try ECMARegex("^[a-z]+-\\d{1,3}$")
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<200 {
                group.addTask { regex.firstMatch(in: i.isMultiple(of: 2) ? "item-\(i)" : "item_\(i)") }
            }
            var matched = 0
            for await r in group where r { matched += 1 }
            return matched
        }
        #expect(results == 100)
        #expect(regex.pattern == "^[a-z]+-\\d{1,3}$")
    }
}
