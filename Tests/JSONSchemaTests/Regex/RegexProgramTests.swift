import Testing
@testable import JSONSchema

/// The compiler: instruction layout, counted-repetition expansion, anchoring, and the size limit.
@Suite struct RegexProgramTests {
    func program(_ pattern: String) throws -> RegexProgram {
        try RegexCompiler.compile(try RegexParser.parse(pattern))
    }

    @Test func literalsAndAlternation() throws {
        #expect(try program("ab").instructions == [.scalar(0x61), .scalar(0x62), .match])
        #expect(try program("a|b|c").instructions == [
            .split(1, 3), .scalar(0x61), .jump(7), .split(4, 6), .scalar(0x62), .jump(7), .scalar(0x63), .match,
        ])
        #expect(try program("").instructions == [.match])
    }

    @Test func quantifierShapes() throws {
        #expect(try program("a*").instructions == [.split(1, 3), .scalar(0x61), .jump(0), .match])
        #expect(try program("a+").instructions == [.scalar(0x61), .split(0, 2), .match])
        #expect(try program("a?").instructions == [.split(1, 2), .scalar(0x61), .match])
        #expect(try program("a{2}").instructions == [.scalar(0x61), .scalar(0x61), .match])
        #expect(try program("a{2,}").instructions == [.scalar(0x61), .scalar(0x61), .split(1, 3), .match])
        // optional copies nest: skipping one skips the rest
        #expect(try program("a{1,3}").instructions == [
            .scalar(0x61), .split(2, 5), .scalar(0x61), .split(4, 5), .scalar(0x61), .match,
        ])
        #expect(try program("a{0}").instructions == [.match])
        #expect(try program("(?:){99999}").instructions == [.match])
        #expect(try program("a*?").instructions == program("a*").instructions)
    }

    @Test func classesAndAssertions() throws {
        let p = try program("^\\d.\\d\\b$")
        #expect(p.instructions == [
            .assert(.start), .characterClass(0), .dot, .characterClass(0), .assert(.wordBoundary), .assert(.end),
            .match,
        ])
        #expect(p.classes.count == 1)  // both \d share one class
        #expect(try program("[a]\\w[^a]").classes.count == 3)
    }

    @Test(arguments: [
        ("^a", true), ("^a|^b", true), ("(?:^a)", true), ("(?:^)+a", true), ("^*", false), ("a|^b", false),
        ("a^", false), ("(?:^)?a", false), ("(?:^a){0}", false), ("", false), ("$", false), ("\\ba", false),
    ])
    func anchoring(_ pattern: String, _ anchored: Bool) throws {
        guard let p = try? program(pattern) else {
            #expect(regexError(pattern)?.kind == .syntax)  // "^*" is not valid u-flag syntax
            return
        }
        #expect(p.anchoredAtStart == anchored, "\(pattern)")
    }

    @Test func sizeLimitIsExact() throws {
        // n literals + match: the largest accepted program has exactly maxInstructions instructions
        let limit = RegexProgram.maxInstructions
        #expect(try program(String(repeating: "a", count: limit - 1)).instructions.count == limit)
        #expect(regexError(String(repeating: "a", count: limit))?.kind == .tooLarge)
        #expect(try program("a{\(limit - 1)}").instructions.count == limit)
        #expect(regexError("a{\(limit)}")?.position == 1)
        #expect(regexError("a{\(limit)}")?.message.contains("pattern too large") == true)
    }
}
