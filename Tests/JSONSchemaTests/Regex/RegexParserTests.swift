import Testing
@testable import JSONSchema

/// Syntax is ECMA-262 with the `u` flag: what is accepted, what is refused, and where the error points.
@Suite struct RegexParserTests {
    @Test(arguments: [
        "", "a", "abc", "a|b", "|", "a|", "|a", "(a)", "(?:a)", "()", "(?:)", "(?<name>a)", "(?<$x_1>a)",
        "(?<\u{e9}t\u{e9}>a)", "(?<\\u0061b>x)", "[]", "[^]", "[a-z]", "[-a]", "[a-]", "[\\d-]", "[-\\d]",
        "[a-b-c]", "[\\-]", "[\\b]", "[[]", "[(){}|*+?.^$]", "[--a]", "a{2}", "a{2,}", "a{2,3}", "a{0}", "a{0,0}",
        "a{2,3}?", "a*?", "a+?", "a??", "a{2,}?", "\\cA", "\\cz", "\\0", "[\\0]", "\\x41", "\\u0041",
        "\\u{1F600}", "\\u{0}", "\\u{0000000041}", "\\uD83D\\uDE00", "\\uD83D", "\\uDE00", "\\/",
        "\\^\\$\\\\\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|", "[\\^\\$\\\\\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\/\\-]",
        "\\t\\n\\v\\f\\r", "\\p{L}", "\\P{Lu}", "\\p{General_Category=Letter}", "\\p{gc=Nd}", "[\\p{L}\\d_]",
        "[^\\P{L}]", "^$", "\\b\\B", "^a|b$", "([abc])+\\s+$", "^(a+)+$", "\u{1F432}*", "(?:a|b)*c{1,2}",
        "(?:){1000000000}",
    ])
    func acceptsValidSyntax(_ pattern: String) {
        #expect(regexError(pattern) == nil, "\(pattern)")
        #expect(ECMARegex.isValidSyntax(pattern))
    }

    struct Rejection: Sendable, CustomTestStringConvertible {
        let pattern: String
        let position: Int
        let message: String
        init(_ pattern: String, _ position: Int, _ message: String) {
            self.pattern = pattern
            self.position = position
            self.message = message
        }
        var testDescription: String { pattern }
    }

    @Test(arguments: [
        Rejection("^[a-z", 1, "unterminated character class"),
        Rejection("[", 0, "unterminated character class"),
        Rejection("[\\", 1, "\\ at end of pattern"),
        Rejection("(abc", 0, "unterminated group"),
        Rejection("a(b(c)", 1, "unterminated group"),
        Rejection("(?", 0, "unterminated group"),
        Rejection("(?:a", 0, "unterminated group"),
        Rejection("(?<=a", 0, "unterminated group"),
        Rejection("(?x)", 0, "invalid group '(?x'"),
        Rejection("(?i)abc", 0, "invalid group: inline flags need '(?flags:…)'"),
        Rejection("(?ims)abc", 0, "invalid group: inline flags need '(?flags:…)'"),
        Rejection("(?ii:a)", 3, "invalid modifiers: repeated flag 'i'"),
        Rejection("(?i-i:a)", 4, "invalid modifiers: repeated flag 'i'"),
        Rejection("(?--i:a)", 3, "invalid modifiers: repeated '-'"),
        Rejection("(?-:a)", 0, "invalid modifiers: no flags"),
        Rejection("(?im", 0, "invalid group: inline flags need '(?flags:…)'"),
        Rejection("(?P<name>x)", 0, "invalid group '(?P'"),
        Rejection("(?#comment)a", 0, "invalid group '(?#'"),
        Rejection("a**", 2, "nothing to repeat"),
        Rejection("a???", 3, "nothing to repeat"),
        Rejection("*a", 0, "nothing to repeat"),
        Rejection("a|+", 2, "nothing to repeat"),
        Rejection("(?:+)", 3, "nothing to repeat"),
        Rejection("a{1}{2}", 4, "nothing to repeat"),
        Rejection("{2}", 0, "nothing to repeat"),
        Rejection("^*", 1, "nothing to repeat"),
        Rejection("$+", 1, "nothing to repeat"),
        Rejection("\\b+", 2, "nothing to repeat"),
        Rejection("(?=a)*", 5, "nothing to repeat"),
        Rejection("(?<!a){2}", 6, "nothing to repeat"),
        Rejection("a{", 1, "incomplete quantifier (escape a literal '{' as \\{)"),
        Rejection("a{,5}", 1, "incomplete quantifier (escape a literal '{' as \\{)"),
        Rejection("a{1,2", 1, "incomplete quantifier (escape a literal '{' as \\{)"),
        Rejection("{", 0, "lone '{' (escape it as \\{)"),
        Rejection("x}", 1, "lone '}' (escape it as \\})"),
        Rejection("]", 0, "lone ']' (escape it as \\])"),
        Rejection(")", 0, "unmatched ')'"),
        Rejection("a)b", 1, "unmatched ')'"),
        Rejection("a{3,2}", 1, "numbers out of order in {} quantifier"),
        Rejection("[z-a]", 1, "range out of order in character class"),
        Rejection("[\\d-z]", 1, "invalid character class range (a class escape cannot bound a range)"),
        Rejection("[a-\\d]", 1, "invalid character class range (a class escape cannot bound a range)"),
        Rejection("[\\p{L}-z]", 1, "invalid character class range (a class escape cannot bound a range)"),
        Rejection("\\a", 0, "invalid escape '\\a'"),
        Rejection("x\\-", 1, "invalid escape '\\-'"),
        Rejection("\\e", 0, "invalid escape '\\e'"),
        Rejection("\\_", 0, "invalid escape '\\_'"),
        Rejection("\\ ", 0, "invalid escape '\\ '"),
        Rejection("[\\B]", 1, "invalid escape '\\B'"),
        Rejection("[\\1]", 1, "invalid escape '\\1'"),
        Rejection("[\\k]", 1, "invalid escape '\\k'"),
        Rejection("[\\a]", 1, "invalid escape '\\a'"),
        Rejection("\\", 0, "\\ at end of pattern"),
        Rejection("ab\\", 2, "\\ at end of pattern"),
        Rejection("\\c1", 0, "invalid control escape (\\c needs a letter A-Z or a-z)"),
        Rejection("\\c", 0, "invalid control escape (\\c needs a letter A-Z or a-z)"),
        Rejection("\\x4", 0, "invalid \\x escape (needs two hex digits)"),
        Rejection("\\xg0", 0, "invalid \\x escape (needs two hex digits)"),
        Rejection("\\u12", 0, "invalid Unicode escape (needs \\uHHHH or \\u{H…})"),
        Rejection("\\u{}", 0, "invalid Unicode escape \\u{…}"),
        Rejection("\\u{12", 0, "invalid Unicode escape \\u{…}"),
        Rejection("\\u{110000}", 0, "invalid Unicode escape: above 10FFFF"),
        Rejection("\\00", 0, "invalid decimal escape"),
        Rejection("[\\01]", 1, "invalid decimal escape"),
        Rejection("\\p{letter}", 0, "unknown Unicode property 'letter'"),
        Rejection("\\p{Foo}", 0, "unknown Unicode property 'Foo'"),
        Rejection("\\p{gc=Foo}", 0, "unknown Unicode property 'gc=Foo'"),
        Rejection("\\p{Alphabetic=Yes}", 0, "unknown Unicode property 'Alphabetic=Yes'"),
        Rejection("\\p{Script=}", 0, "unknown Unicode property 'Script='"),
        Rejection("\\p{L", 0, "invalid property escape"),
        Rejection("\\p{}", 0, "invalid property escape"),
        Rejection("\\p{ L }", 0, "invalid property escape"),
        Rejection("\\pL", 0, "invalid property escape (needs \\p{…})"),
        Rejection("(?<n>a)(?<n>b)", 7, "duplicate group name 'n'"),
        Rejection("(?<1a>x)", 3, "invalid group name"),
        Rejection("(?<a-b>x)", 4, "invalid group name"),
        Rejection("(?<>x)", 0, "empty group name"),
        Rejection("(?<abc", 0, "unterminated group name"),
        Rejection("\\2(a)", 0, "invalid backreference \\2: no such group"),
        Rejection("\\1", 0, "invalid backreference \\1: no such group"),
        Rejection("(?:a)\\1", 5, "invalid backreference \\1: no such group"),
        Rejection("\\k<x>", 0, "invalid backreference \\k<x>: no such group"),
        Rejection("\\k", 0, "invalid named reference (\\k<name>)"),
        Rejection("\\kx", 0, "invalid named reference (\\k<name>)"),
    ])
    func rejectsInvalidSyntax(_ r: Rejection) {
        let error = regexError(r.pattern)
        #expect(error?.kind == .syntax)
        #expect(error?.position == r.position)
        #expect(error?.message == r.message)
        #expect(!ECMARegex.isValidSyntax(r.pattern))
    }

    @Test func errorDescriptionHasMessageAndPosition() {
        #expect(regexError("ab(cd")?.description == "unterminated group at 2")
        #expect(regexError("^[a-z")?.description == "unterminated character class at 1")
    }

    /// Valid ECMA-262 the engine cannot run in linear time: refused as `.unsupported`, still valid syntax.
    @Test(arguments: [
        ("(a)\\1", 3, "backreferences are not supported"),
        ("\\1(a)", 0, "backreferences are not supported"),
        ("\\2(a)(b)", 0, "backreferences are not supported"),
        ("(?<n>a)\\k<n>", 7, "backreferences are not supported"),
        ("(?=a)", 0, "lookahead is not supported"),
        ("x(?!a)", 1, "lookahead is not supported"),
        ("(?<=a+)b", 0, "lookbehind is not supported"),
        ("(?<!a)b", 0, "lookbehind is not supported"),
        ("(?i:a)", 0, "inline modifier groups are not supported"),
        ("(?m-s:a)", 0, "inline modifier groups are not supported"),
        ("(?-i:a)", 0, "inline modifier groups are not supported"),
        ("\\p{Script=Greek}", 0, "Unicode Script properties are not supported"),
        ("[\\p{scx=Latn}]", 1, "Unicode Script properties are not supported"),
        ("\\p{Extended_Pictographic}", 0, "Unicode property Extended_Pictographic is not supported"),
        ("\\P{EComp}", 0, "Unicode property EComp is not supported"),
    ])
    func refusesUnsupportedButValid(_ pattern: String, _ position: Int, _ message: String) {
        let error = regexError(pattern)
        #expect(error?.kind == .unsupported)
        #expect(error?.position == position)
        #expect(error?.message == message)
        #expect(ECMARegex.isValidSyntax(pattern))
    }

    /// The whole pattern is checked first, so a later syntax error is reported instead of the unsupported part.
    @Test func syntaxErrorsWinOverUnsupported() {
        #expect(regexError("(a)\\1[")?.kind == .syntax)
        #expect(regexError("(a)\\1[")?.position == 5)
        #expect(regexError("(?=a)\\q")?.kind == .syntax)
        #expect(regexError("(?<=a)\\2(b)")?.message == "invalid backreference \\2: no such group")
        // the first unsupported construct is the one reported
        #expect(regexError("a(?=b)(c)\\1")?.message == "lookahead is not supported")
    }

    @Test func deepNestingIsBounded() {
        let n = RegexParser.maxNesting
        let ok = String(repeating: "(", count: n) + String(repeating: ")", count: n)
        #expect(regexError(ok) == nil)
        let deep = String(repeating: "(", count: 100_000) + String(repeating: ")", count: 100_000)
        let error = regexError(deep)
        #expect(error?.kind == .tooLarge)
        #expect(error?.position == RegexParser.maxNesting)
        #expect(ECMARegex.isValidSyntax(deep))
        // an unclosed flood fails on nesting depth too, before running out of stack
        #expect(regexError(String(repeating: "(?:", count: 100_000))?.kind == .tooLarge)
    }

    @Test func positionsCountScalarsNotUTF16() {
        // "😀" is one scalar (two UTF-16 units): the unterminated class opens at scalar 1.
        #expect(regexError("\u{1F600}[a")?.position == 1)
        #expect(regexError("\u{e9}\u{1F600}\\a")?.position == 2)
    }

    @Test func treeShape() throws {
        #expect(try RegexParser.parse("") == .empty)
        #expect(try RegexParser.parse("a") == .scalar(0x61))
        #expect(try RegexParser.parse("(?:ab)") == .concatenation([.scalar(0x61), .scalar(0x62)]))
        #expect(try RegexParser.parse("a|") == .alternation([.scalar(0x61), .empty]))
        #expect(try RegexParser.parse("a{2,}?") == .repetition(.scalar(0x61), min: 2, max: nil, position: 1))
        #expect(try RegexParser.parse("x?") == .repetition(.scalar(0x78), min: 0, max: 1, position: 1))
        #expect(try RegexParser.parse("^$") == .concatenation([.assertion(.start), .assertion(.end)]))
        #expect(try RegexParser.parse("\\uD83D\\uDE00") == .scalar(0x1F600))
        #expect(try RegexParser.parse("\\u{1F600}") == .scalar(0x1F600))
        #expect(try RegexParser.parse("\u{1F600}") == .scalar(0x1F600))
        #expect(try RegexParser.parse("\\uD83Dx") == .concatenation([.scalar(0xD83D), .scalar(0x78)]))
        #expect(try RegexParser.parse("\\cJ") == .scalar(0x0A))
        #expect(try RegexParser.parse("\\cj") == .scalar(0x0A))
        #expect(try RegexParser.parse("\\x7e") == .scalar(0x7E))
        #expect(try RegexParser.parse("\\0") == .scalar(0))
        #expect(try RegexParser.parse("\\v") == .scalar(0x0B))
    }

    @Test func hugeCountsSaturateInsteadOfOverflowing() throws {
        let node = try RegexParser.parse("a{99999999999999999999,}")
        guard case .repetition(_, let min, let max, _) = node else {
            Issue.record("not a repetition: \(node)")
            return
        }
        #expect(min >= 100_000_000)
        #expect(max == nil)
    }
}
