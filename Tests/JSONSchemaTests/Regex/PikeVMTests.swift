import Testing
@testable import JSONSchema

/// Matching semantics: unanchored search, anchors, quantifiers, alternation, `.` and `\b`, over Unicode scalars.
@Suite struct PikeVMTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let pattern: String
        let text: String
        let matches: Bool
        init(_ pattern: String, _ text: String, _ matches: Bool) {
            self.pattern = pattern
            self.text = text
            self.matches = matches
        }
        var testDescription: String { "/\(pattern)/ on \(text.debugDescription)" }
    }

    @Test(arguments: [
        // unanchored search
        Case("a+", "xxaayy", true), Case("b", "aaa", false), Case("", "", true), Case("", "abc", true),
        Case("abc", "xabcx", true), Case("abc", "ab", false), Case("abc", "abxabc", true),
        Case("aab", "aaab", true),
        // anchors: no multiline, and $ is the very end (a trailing "\n" is not skipped)
        Case("^abc$", "abc", true), Case("^abc$", "abc\n", false), Case("^abc", "xabc", false),
        Case("abc$", "abcx", false), Case("^a$", "a\nb", false), Case("^$", "", true), Case("^$", "\n", false),
        Case("a^", "a", false), Case("$a", "a", false), Case("^^a$$", "a", true),
        Case("^a|b$", "ab", true), Case("^a|b$", "ca", false), Case("^a|b$", "bc", false),
        Case("(?:^|,)x", "a,x", true), Case("(?:^|,)x", "ax", false), Case("x(?:$|,)", "x,", true),
        // alternation
        Case("^(cat|dog)s?$", "dogs", true), Case("^(cat|dog)s?$", "cow", false), Case("^(|a)$", "", true),
        Case("^(|a)$", "a", true), Case("^(a|ab|abc)$", "abc", true), Case("^(?:a|b|c|d)+$", "abcdx", false),
        // quantifiers (lazy ones give the same answer)
        Case("^a{2}$", "aa", true), Case("^a{2}$", "aaa", false), Case("^a{2,}$", "a", false),
        Case("^a{2,}$", "aaaaa", true), Case("^a{2,3}$", "aaa", true), Case("^a{2,3}$", "aaaa", false),
        Case("^a{2,3}?$", "aaa", true), Case("^a{0}$", "", true), Case("^a{0}$", "a", false),
        Case("^a{0,0}b$", "b", true), Case("^a*?$", "aaa", true), Case("^a+?$", "", false),
        Case("^a??b$", "ab", true), Case("^a??b$", "b", true), Case("^(ab)*$", "ababab", true),
        Case("^(ab)*$", "ababa", false), Case("^(a|b)+c$", "abbac", true), Case("^(a*)*$", "aaa", true),
        Case("^(a*)*$", "b", false), Case("^(a*)+$", "", true), Case("^(a?){3}a{3}$", "aaa", true),
        Case("^(a?){3}a{3}$", "aaaaaaa", false), Case("^(?:a{2}){2,3}$", "aaaaaa", true),
        Case("^(?:a{2}){2,3}$", "aaaaa", false), Case("^(?:){5}$", "", true), Case("^(?:|a){3}$", "aa", true),
        Case("^[0-9]{2,}$", "1", false), Case("[0-9]{2,}", "a31b", true), Case("^(?:a+|b)*$", "abab", true),
        // dot: one scalar, not a line terminator
        Case("^.$", "a", true), Case("^.$", "\n", false), Case("^.$", "\r", false),
        Case("^.$", "\u{2028}", false), Case("^.$", "\u{2029}", false), Case("^.$", "\u{85}", true),
        Case("^.$", "\t", true), Case("^.$", "\u{1F600}", true), Case("^..$", "\u{1F600}", false),
        Case("f.*o", "foo", true), Case("f.*o", "f\no", false), Case("^.*bar$", "foobar", true),
        Case("^.$", "e\u{301}", false),  // two scalars, one Character: scalars are what count
        // word boundaries: ASCII word characters only
        Case("\\bfoo\\b", "a foo b", true), Case("\\bfoo\\b", "afoob", false), Case("\\Bfoo", "afoo", true),
        Case("\\Bfoo", "foo", false), Case("a\\b", "a\u{e9}", true), Case("\u{e9}\\b", "\u{e9}", false),
        Case("\\b", "", false), Case("\\B", "", true), Case("^\\b$", "", false), Case("\\b_", "_", true),
        Case("x\\B", "x_", true), Case("x\\b", "x-", true), Case("\\b\\d+\\b", "a 42!", true),
        // literals and escapes
        Case("^\\t$", "\t", true), Case("^\\t$", "\\t", false), Case("^\\cC$", "\u{3}", true),
        Case("^\\cc$", "\u{3}", true), Case("^\\cC$", "\\cC", false), Case("^\\0$", "\u{0}", true),
        Case("^\\x41\\u0042\\u{43}$", "ABC", true), Case("^\\/\\.\\*$", "/.*", true),
        Case("^[\\b]$", "\u{8}", true), Case("^\\n\\r\\v\\f$", "\n\r\u{b}\u{c}", true),
        Case("X_", "a_x_3", false), Case("X_", "a_X_3", true), Case("^abc$", "ABC", false),
        // non-BMP: one scalar each, surrogate-pair escapes combine, lone surrogates match nothing
        Case("^\u{1F432}*$", "", true), Case("^\u{1F432}*$", "\u{1F432}\u{1F432}", true),
        Case("^\u{1F432}*$", "\u{1F409}", false), Case("^\u{1F432}*$", "D", false),
        Case("^\\uD83D\\uDC32$", "\u{1F432}", true), Case("^\\u{1F432}$", "\u{1F432}", true),
        Case("\\uD83D", "\u{1F432}", false), Case("^[\u{1F600}-\u{1F64F}]+$", "\u{1F601}\u{1F64F}", true),
        Case("^[\u{1F600}-\u{1F64F}]$", "\u{1F650}", false), Case("^[^a]$", "\u{1F600}", true),
        Case("^\u{1F600}{2}$", "\u{1F600}\u{1F600}", true), Case("^\u{1F600}{2}$", "\u{1F600}", false),
        Case("^\\p{L}+$", "\u{1D400}\u{10400}", true),
    ])
    func matching(_ c: Case) throws {
        #expect(try regexMatches(c.pattern, c.text) == c.matches)
    }

    @Test func anchoredSearchStopsEarlyButStillFindsMatches() throws {
        let regex = try ECMARegex("^ab*c")
        #expect(regex.program.anchoredAtStart)
        #expect(regex.firstMatch(in: "abbbc" + String(repeating: "x", count: 1000)))
        #expect(!regex.firstMatch(in: "x" + String(repeating: "abc", count: 1000)))
    }

    @Test func matchesDecidedAtEveryPosition() throws {
        // a match ending exactly at the end, one at the very start, one empty match after the last scalar
        #expect(try regexMatches("c$", "abc"))
        #expect(try regexMatches("^a", "abc"))
        #expect(try regexMatches("$", "abc"))
        #expect(try regexMatches("c\\b", "abc"))
        #expect(try !regexMatches("^c", "abc"))
    }

    @Test func threadListIsASet() {
        var list = ThreadList(capacity: 8)
        let first = list.insert(3)
        let again = list.insert(3)
        let other = list.insert(0)
        #expect(first && !again && other)
        #expect(list.contains(3) && list.contains(0) && !list.contains(1))
        #expect(Array(list.dense.prefix(list.count)) == [3, 0])
        list.removeAll()
        #expect(list.count == 0 && !list.contains(3))
        let afterClear = list.insert(3)
        #expect(afterClear)
    }
}
