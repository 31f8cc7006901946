/// Parses ECMA-262 pattern syntax with the `u` flag (what JSON Schema recommends and what Ajv uses): strict
/// escapes (`\a`, `\-` outside a class, lone `{`, `}` and `]` are errors), `\u{…}` and surrogate-pair escapes
/// combine into one code point, `\p{…}` property escapes.
///
/// The whole pattern is checked before anything is refused as unsupported, so a syntax error always wins and
/// `ECMARegex.isValidSyntax` can answer `format: "regex"` for patterns the engine will not run.
struct RegexParser {
    /// Nested groups beyond this are refused (`.tooLarge`): parsing and compiling recurse once per level.
    static let maxNesting = 200

    private let source: [UInt32]
    private var position = 0
    private var depth = 0
    private var capturingGroups = 0
    private var groupNames: Set<String> = []
    /// Backreferences are checked once all groups are known (`\2(a)(b)` is valid).
    private var numberedReferences: [(number: Int, position: Int)] = []
    private var namedReferences: [(name: String, position: Int)] = []
    /// The first valid-but-unsupported construct, reported only if the syntax turns out valid.
    private var unsupported: ECMARegexError?

    private init(_ pattern: String) {
        source = pattern.unicodeScalars.map(\.value)
    }

    static func parse(_ pattern: String) throws(ECMARegexError) -> RegexNode {
        var parser = RegexParser(pattern)
        let node = try parser.parseDisjunction()
        if let c = parser.peek() {
            // parseDisjunction stops only at the end or at a ")" with no group open.
            throw parser.syntax(c == Ascii.closeParen ? "unmatched ')'" : "unexpected character", at: parser.position)
        }
        for ref in parser.numberedReferences where ref.number > parser.capturingGroups {
            throw parser.syntax("invalid backreference \\\(ref.number): no such group", at: ref.position)
        }
        for ref in parser.namedReferences where !parser.groupNames.contains(ref.name) {
            throw parser.syntax("invalid backreference \\k<\(ref.name)>: no such group", at: ref.position)
        }
        if let unsupported = parser.unsupported { throw unsupported }
        return node
    }

    // MARK: Disjunction, alternative, term

    private mutating func parseDisjunction() throws(ECMARegexError) -> RegexNode {
        var alternatives = [try parseAlternative()]
        while peek() == Ascii.bar {
            position += 1
            alternatives.append(try parseAlternative())
        }
        return alternatives.count == 1 ? alternatives[0] : .alternation(alternatives)
    }

    private mutating func parseAlternative() throws(ECMARegexError) -> RegexNode {
        var terms: [RegexNode] = []
        while let c = peek(), c != Ascii.bar, c != Ascii.closeParen {
            let term = try parseTerm()
            if term != .empty { terms.append(term) }
        }
        switch terms.count {
        case 0: return .empty
        case 1: return terms[0]
        default: return .concatenation(terms)
        }
    }

    private mutating func parseTerm() throws(ECMARegexError) -> RegexNode {
        let start = position
        switch peek() {
        case Ascii.caret:
            position += 1
            return .assertion(.start)
        case Ascii.dollar:
            position += 1
            return .assertion(.end)
        case Ascii.backslash where peek(1) == Ascii.b:
            position += 2
            return .assertion(.wordBoundary)
        case Ascii.backslash where peek(1) == Ascii.B:
            position += 2
            return .assertion(.notWordBoundary)
        case Ascii.openParen where peek(1) == Ascii.question:
            let isLookahead = peek(2) == Ascii.equals || peek(2) == Ascii.exclamation
            let isLookbehind = peek(2) == Ascii.less && (peek(3) == Ascii.equals || peek(3) == Ascii.exclamation)
            if isLookahead || isLookbehind {
                position += isLookahead ? 3 : 4
                _ = try parseGroupBody(openedAt: start)
                // With the `u` flag no assertion takes a quantifier (Annex B's quantified lookahead is non-`u`).
                if let c = peek(), Ascii.isQuantifierStart(c) { throw syntax("nothing to repeat", at: position) }
                noteUnsupported(isLookahead ? "lookahead is not supported" : "lookbehind is not supported", at: start)
                return .empty
            }
        default:
            break
        }
        let atom = try parseAtom()
        return try parseQuantifier(on: atom)
    }

    private mutating func parseQuantifier(on atom: RegexNode) throws(ECMARegexError) -> RegexNode {
        let start = position
        let min: Int
        let max: Int?
        switch peek() {
        case Ascii.star: (min, max) = (0, nil); position += 1
        case Ascii.plus: (min, max) = (1, nil); position += 1
        case Ascii.question: (min, max) = (0, 1); position += 1
        case Ascii.openBrace:
            guard let braces = scanBraceQuantifier(at: position) else {
                throw syntax("incomplete quantifier (escape a literal '{' as \\{)", at: start)
            }
            (min, max) = (braces.min, braces.max)
            position = braces.end
            if let max, min > max { throw syntax("numbers out of order in {} quantifier", at: start) }
        default:
            return atom
        }
        if peek() == Ascii.question { position += 1 }  // lazy: same match/no-match answer
        return .repetition(atom, min: min, max: max, position: start)
    }

    /// `{n}`, `{n,}` or `{n,m}` starting at `index`; nil if the text there is not one. Counts saturate (they are
    /// bounded later by the program size limit).
    private func scanBraceQuantifier(at index: Int) -> (min: Int, max: Int?, end: Int)? {
        var i = index + 1
        func number() -> Int? {
            var value: Int?
            while i < source.count, let digit = Ascii.digitValue(source[i]) {
                let current = value ?? 0
                value = current > 100_000_000 ? current : current * 10 + digit
                i += 1
            }
            return value
        }
        guard let min = number() else { return nil }
        var max: Int? = min
        if i < source.count, source[i] == Ascii.comma {
            i += 1
            max = number()
        }
        guard i < source.count, source[i] == Ascii.closeBrace else { return nil }
        return (min, max, i + 1)
    }

    // MARK: Atoms

    private mutating func parseAtom() throws(ECMARegexError) -> RegexNode {
        let start = position
        guard let c = peek() else { throw syntax("unexpected end of pattern", at: start) }
        switch c {
        case Ascii.dot:
            position += 1
            return .dot
        case Ascii.openParen:
            return try parseGroup()
        case Ascii.openBracket:
            return .characterClass(try parseClass())
        case Ascii.backslash:
            return try parseAtomEscape()
        case Ascii.star, Ascii.plus, Ascii.question:
            throw syntax("nothing to repeat", at: start)
        case Ascii.openBrace:
            if scanBraceQuantifier(at: start) != nil { throw syntax("nothing to repeat", at: start) }
            throw syntax("lone '{' (escape it as \\{)", at: start)
        case Ascii.closeBrace:
            throw syntax("lone '}' (escape it as \\})", at: start)
        case Ascii.closeBracket:
            throw syntax("lone ']' (escape it as \\])", at: start)
        default:
            position += 1
            return .scalar(c)
        }
    }

    private mutating func parseGroup() throws(ECMARegexError) -> RegexNode {
        let start = position
        position += 1  // "("
        guard peek() == Ascii.question else {
            capturingGroups += 1
            return try parseGroupBody(openedAt: start)
        }
        position += 1
        guard let c = peek() else { throw syntax("unterminated group", at: start) }
        switch c {
        case Ascii.colon:
            position += 1
            return try parseGroupBody(openedAt: start)
        case Ascii.less:
            position += 1
            let name = try parseGroupName(groupStart: start)
            if groupNames.contains(name) { throw syntax("duplicate group name '\(name)'", at: start) }
            groupNames.insert(name)
            capturingGroups += 1
            return try parseGroupBody(openedAt: start)
        case Ascii.i, Ascii.m, Ascii.s, Ascii.minus:
            try parseModifiers(groupStart: start)
            _ = try parseGroupBody(openedAt: start)
            noteUnsupported("inline modifier groups are not supported", at: start)
            return .empty
        default:
            throw syntax("invalid group '(?\(Ascii.describe(c))'", at: start)
        }
    }

    /// The disjunction after a group's opening and its ")"; nesting is bounded because parsing recurses.
    private mutating func parseGroupBody(openedAt start: Int) throws(ECMARegexError) -> RegexNode {
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxNesting {
            throw ECMARegexError(.tooLarge, "groups nested deeper than \(Self.maxNesting)", at: start)
        }
        let inner = try parseDisjunction()
        guard peek() == Ascii.closeParen else { throw syntax("unterminated group", at: start) }
        position += 1
        return inner
    }

    /// ES2025 `(?ims-ims:…)`: valid syntax (each flag at most once, at least one flag), never run here.
    private mutating func parseModifiers(groupStart: Int) throws(ECMARegexError) {
        var seen: Set<UInt32> = []
        var sawMinus = false
        while let c = peek(), c == Ascii.i || c == Ascii.m || c == Ascii.s || c == Ascii.minus {
            if c == Ascii.minus {
                if sawMinus { throw syntax("invalid modifiers: repeated '-'", at: position) }
                sawMinus = true
            } else {
                if seen.contains(c) {
                    throw syntax("invalid modifiers: repeated flag '\(Ascii.describe(c))'", at: position)
                }
                seen.insert(c)
            }
            position += 1
        }
        guard peek() == Ascii.colon else {
            throw syntax("invalid group: inline flags need '(?flags:…)'", at: groupStart)
        }
        if seen.isEmpty { throw syntax("invalid modifiers: no flags", at: groupStart) }
        position += 1
    }

    /// `name>` after `(?<` or `\k<`: RegExpIdentifierName (ID_Start or $ _, then ID_Continue or $ ZWNJ ZWJ, with
    /// `\u` escapes allowed).
    private mutating func parseGroupName(groupStart: Int) throws(ECMARegexError) -> String {
        var scalars = String.UnicodeScalarView()
        while true {
            guard let c = peek() else { throw syntax("unterminated group name", at: groupStart) }
            if c == Ascii.greater {
                position += 1
                break
            }
            var value = c
            let at = position
            if c == Ascii.backslash {
                position += 1
                guard peek() == Ascii.u else { throw syntax("invalid group name", at: at) }
                position += 1
                value = try parseUnicodeEscape(escapeStart: at)
            } else {
                position += 1
            }
            guard let scalar = Unicode.Scalar(value) else { throw syntax("invalid group name", at: at) }
            let isStart = scalar.properties.isIDStart || value == Ascii.dollar || value == Ascii.underscore
            let isPart = isStart || scalar.properties.isIDContinue || value == 0x200C || value == 0x200D
            guard scalars.isEmpty ? isStart : isPart else { throw syntax("invalid group name", at: at) }
            scalars.append(scalar)
        }
        if scalars.isEmpty { throw syntax("empty group name", at: groupStart) }
        return String(scalars)
    }

    // MARK: Escapes

    private mutating func parseAtomEscape() throws(ECMARegexError) -> RegexNode {
        let start = position
        position += 1  // "\"
        guard let c = peek() else { throw syntax("\\ at end of pattern", at: start) }
        if let ranges = CharacterClass.escape(c) {
            position += 1
            return .characterClass(CharacterClass(ranges: ranges))
        }
        switch c {
        case Ascii.p, Ascii.P:
            return .characterClass(try parsePropertyEscape(escapeStart: start).asClass())
        case Ascii.k:
            position += 1
            guard peek() == Ascii.less else { throw syntax("invalid named reference (\\k<name>)", at: start) }
            position += 1
            let name = try parseGroupName(groupStart: start)
            namedReferences.append((name, start))
            noteUnsupported("backreferences are not supported", at: start)
            return .empty
        case 0x31...0x39:  // 1-9
            var number = 0
            while let d = peek().flatMap(Ascii.digitValue) {
                number = number > 100_000_000 ? number : number * 10 + d
                position += 1
            }
            numberedReferences.append((number, start))
            noteUnsupported("backreferences are not supported", at: start)
            return .empty
        default:
            return .scalar(try parseCharacterEscape(escapeStart: start, inClass: false))
        }
    }

    /// CharacterEscape with the `u` flag: control escapes, `\cX`, `\0`, `\xHH`, `\u…`, and identity escapes of
    /// syntax characters and "/" only (plus "-" inside a class). `position` is just after the backslash.
    private mutating func parseCharacterEscape(escapeStart: Int, inClass: Bool) throws(ECMARegexError) -> UInt32 {
        guard let c = peek() else { throw syntax("\\ at end of pattern", at: escapeStart) }
        position += 1
        switch c {
        case Ascii.t: return 0x09
        case Ascii.n: return 0x0A
        case Ascii.v: return 0x0B
        case Ascii.f: return 0x0C
        case Ascii.r: return 0x0D
        case Ascii.c:
            guard let letter = peek(), Ascii.isLetter(letter) else {
                throw syntax("invalid control escape (\\c needs a letter A-Z or a-z)", at: escapeStart)
            }
            position += 1
            return letter % 32
        case Ascii.zero:
            if let next = peek(), Ascii.digitValue(next) != nil {
                throw syntax("invalid decimal escape", at: escapeStart)
            }
            return 0
        case Ascii.x:
            guard let high = peek().flatMap(HexDigit.value), let low = peek(1).flatMap(HexDigit.value) else {
                throw syntax("invalid \\x escape (needs two hex digits)", at: escapeStart)
            }
            position += 2
            return high << 4 | low
        case Ascii.u:
            return try parseUnicodeEscape(escapeStart: escapeStart)
        case Ascii.minus where inClass:
            return c
        default:
            if Ascii.isSyntaxCharacter(c) || c == Ascii.slash { return c }
            throw syntax("invalid escape '\\\(Ascii.describe(c))'", at: escapeStart)
        }
    }

    /// After `\u`: `{hex…}` up to 10FFFF, or four hex digits, where a lead surrogate followed by `\u` and a
    /// trail surrogate is one code point (the `u` flag's pairing).
    private mutating func parseUnicodeEscape(escapeStart: Int) throws(ECMARegexError) -> UInt32 {
        if peek() == Ascii.openBrace {
            position += 1
            var value: UInt32 = 0
            var digits = 0
            while let h = peek().flatMap(HexDigit.value) {
                value = value << 4 | h
                digits += 1
                position += 1
                if value > ScalarRanges.maxCodePoint {
                    throw syntax("invalid Unicode escape: above 10FFFF", at: escapeStart)
                }
            }
            guard digits > 0, peek() == Ascii.closeBrace else {
                throw syntax("invalid Unicode escape \\u{…}", at: escapeStart)
            }
            position += 1
            return value
        }
        guard let value = hex4(at: position) else {
            throw syntax("invalid Unicode escape (needs \\uHHHH or \\u{H…})", at: escapeStart)
        }
        position += 4
        if (0xD800...0xDBFF).contains(value), peek() == Ascii.backslash, peek(1) == Ascii.u,
            let trail = hex4(at: position + 2), (0xDC00...0xDFFF).contains(trail)
        {
            position += 6
            return 0x10000 + ((value - 0xD800) << 10) + (trail - 0xDC00)
        }
        return value  // a lone surrogate: valid, and matches nothing a String can hold
    }

    private func hex4(at index: Int) -> UInt32? {
        guard index + 4 <= source.count else { return nil }
        var value: UInt32 = 0
        for i in index..<index + 4 {
            guard let h = HexDigit.value(source[i]) else { return nil }
            value = value << 4 | h
        }
        return value
    }

    /// `\p{Name}`, `\p{Name=Value}` or the `\P` forms; `position` is on the "p".
    private mutating func parsePropertyEscape(escapeStart: Int) throws(ECMARegexError) -> PropertyAtom {
        let negated = peek() == Ascii.P
        position += 1
        guard peek() == Ascii.openBrace else {
            throw syntax("invalid property escape (needs \\p{…})", at: escapeStart)
        }
        position += 1
        func word(_ parser: inout RegexParser) -> String {
            var text = ""
            while let c = parser.peek(), Ascii.isLetter(c) || Ascii.digitValue(c) != nil || c == Ascii.underscore {
                text.unicodeScalars.append(Unicode.Scalar(UInt8(c)))
                parser.position += 1
            }
            return text
        }
        let name = word(&self)
        var value: String?
        if peek() == Ascii.equals {
            position += 1
            value = word(&self)
        }
        guard peek() == Ascii.closeBrace, !name.isEmpty else {
            throw syntax("invalid property escape", at: escapeStart)
        }
        position += 1
        do throws(PropertyLookupFailure) {
            switch try UnicodeProperty.resolve(name: name, value: value) {
            case .ranges(let ranges):
                return .ranges(negated ? ranges.inverted() : ranges)
            case .test(let kind):
                return .test(UnicodePropertyTest(kind: kind, negated: negated))
            }
        } catch {
            switch error {
            case .unknown:
                let written = value.map { "\(name)=\($0)" } ?? name
                throw syntax("unknown Unicode property '\(written)'", at: escapeStart)
            case .unsupported(let message):
                noteUnsupported(message, at: escapeStart)
                return .ranges(.empty)
            }
        }
    }

    // MARK: Character classes

    /// What one class atom contributes: a single scalar (which may start a range) or a set (which may not).
    private enum ClassAtom {
        case scalar(UInt32)
        case set(PropertyAtom)
    }

    private enum PropertyAtom {
        case ranges(ScalarRanges)
        case test(UnicodePropertyTest)

        func asClass() -> CharacterClass {
            switch self {
            case .ranges(let ranges): CharacterClass(ranges: ranges)
            case .test(let test): CharacterClass(ranges: .empty, properties: [test])
            }
        }
    }

    private mutating func parseClass() throws(ECMARegexError) -> CharacterClass {
        let start = position
        position += 1  // "["
        let negated = peek() == Ascii.caret
        if negated { position += 1 }
        var ranges: [ClosedRange<UInt32>] = []
        var properties: [UnicodePropertyTest] = []
        func add(_ atom: ClassAtom) {
            switch atom {
            case .scalar(let c): ranges.append(c...c)
            case .set(.ranges(let set)): ranges.append(contentsOf: set.ranges)
            case .set(.test(let test)): properties.append(test)
            }
        }
        while true {
            guard let c = peek() else { throw syntax("unterminated character class", at: start) }
            if c == Ascii.closeBracket {
                position += 1
                break
            }
            let atomStart = position
            let first = try parseClassAtom()
            guard peek() == Ascii.minus, let after = peek(1), after != Ascii.closeBracket else {
                add(first)
                continue
            }
            position += 1  // "-"
            let second = try parseClassAtom()
            guard case .scalar(let low) = first, case .scalar(let high) = second else {
                throw syntax("invalid character class range (a class escape cannot bound a range)", at: atomStart)
            }
            if low > high { throw syntax("range out of order in character class", at: atomStart) }
            ranges.append(low...high)
        }
        return CharacterClass(ranges: ScalarRanges(ranges), properties: properties, negated: negated)
    }

    private mutating func parseClassAtom() throws(ECMARegexError) -> ClassAtom {
        let start = position
        guard let c = peek() else { throw syntax("unterminated character class", at: start) }
        position += 1
        guard c == Ascii.backslash else { return .scalar(c) }
        guard let e = peek() else { throw syntax("\\ at end of pattern", at: start) }
        if let ranges = CharacterClass.escape(e) {
            position += 1
            return .set(.ranges(ranges))
        }
        switch e {
        case Ascii.b:
            position += 1
            return .scalar(0x08)  // backspace, inside a class only
        case Ascii.p, Ascii.P:
            return .set(try parsePropertyEscape(escapeStart: start))
        default:
            return .scalar(try parseCharacterEscape(escapeStart: start, inClass: true))
        }
    }

    // MARK: Helpers

    private func peek(_ offset: Int = 0) -> UInt32? {
        let i = position + offset
        return i < source.count ? source[i] : nil
    }

    private func syntax(_ message: String, at position: Int) -> ECMARegexError {
        ECMARegexError(.syntax, message, at: position)
    }

    private mutating func noteUnsupported(_ message: String, at position: Int) {
        if unsupported == nil { unsupported = ECMARegexError(.unsupported, message, at: position) }
    }
}

/// The ASCII code points the grammar mentions, by name.
enum Ascii {
    static let exclamation: UInt32 = 0x21
    static let dollar: UInt32 = 0x24
    static let openParen: UInt32 = 0x28
    static let closeParen: UInt32 = 0x29
    static let star: UInt32 = 0x2A
    static let plus: UInt32 = 0x2B
    static let comma: UInt32 = 0x2C
    static let minus: UInt32 = 0x2D
    static let dot: UInt32 = 0x2E
    static let slash: UInt32 = 0x2F
    static let zero: UInt32 = 0x30
    static let colon: UInt32 = 0x3A
    static let less: UInt32 = 0x3C
    static let equals: UInt32 = 0x3D
    static let greater: UInt32 = 0x3E
    static let question: UInt32 = 0x3F
    static let B: UInt32 = 0x42
    static let P: UInt32 = 0x50
    static let openBracket: UInt32 = 0x5B
    static let backslash: UInt32 = 0x5C
    static let closeBracket: UInt32 = 0x5D
    static let caret: UInt32 = 0x5E
    static let underscore: UInt32 = 0x5F
    static let b: UInt32 = 0x62
    static let c: UInt32 = 0x63
    static let f: UInt32 = 0x66
    static let i: UInt32 = 0x69
    static let k: UInt32 = 0x6B
    static let m: UInt32 = 0x6D
    static let n: UInt32 = 0x6E
    static let p: UInt32 = 0x70
    static let r: UInt32 = 0x72
    static let s: UInt32 = 0x73
    static let t: UInt32 = 0x74
    static let u: UInt32 = 0x75
    static let v: UInt32 = 0x76
    static let x: UInt32 = 0x78
    static let openBrace: UInt32 = 0x7B
    static let bar: UInt32 = 0x7C
    static let closeBrace: UInt32 = 0x7D

    /// ECMA-262 SyntaxCharacter: `^ $ \ . * + ? ( ) [ ] { } |`.
    static func isSyntaxCharacter(_ c: UInt32) -> Bool {
        switch c {
        case 0x5E, 0x24, 0x5C, 0x2E, 0x2A, 0x2B, 0x3F, 0x28, 0x29, 0x5B, 0x5D, 0x7B, 0x7D, 0x7C: true
        default: false
        }
    }

    static func isQuantifierStart(_ c: UInt32) -> Bool {
        c == star || c == plus || c == question || c == openBrace
    }

    static func isLetter(_ c: UInt32) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }

    static func digitValue(_ c: UInt32) -> Int? {
        c >= 0x30 && c <= 0x39 ? Int(c - 0x30) : nil
    }

    /// A scalar as it would appear in an error message.
    static func describe(_ c: UInt32) -> String {
        Unicode.Scalar(c).map { String(Character($0)) } ?? "\\u{\(String(c, radix: 16))}"
    }
}
