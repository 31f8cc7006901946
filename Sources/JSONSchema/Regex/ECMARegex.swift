/// An ECMA-262 regular expression (`u` flag syntax and semantics, no other flags) for the JSON Schema `pattern`,
/// `patternProperties` and `format: "regex"` keywords.
///
/// Matching is a Thompson-NFA simulation over Unicode scalars (for ASCII text and most patterns, a DFA
/// precomputed from the same program), so its cost is O(text × pattern) whatever the pattern: a hostile schema
/// cannot make validation backtrack exponentially (`^(a+)+$`). The price is that backreferences and lookaround,
/// which no linear-time engine can offer, are refused at compile time with an `ECMARegexError` of kind
/// `.unsupported`. Immutable and `Sendable`: compile once, match from any thread.
public struct ECMARegex: Sendable {
    /// The largest compiled program accepted; bounds both compile time and the per-character cost of matching
    /// (`a{1,100000}` is refused rather than expanded).
    public static let maxProgramSize = RegexProgram.maxInstructions

    /// Everything compiled, behind one reference: a regex is copied wherever a matcher binds it (a WAF condition,
    /// a schema node), and one retain is cheaper than one per array inside.
    private final class Compiled: Sendable {
        let pattern: String
        let program: RegexProgram
        let dfa: RegexDFA?
        init(pattern: String, program: RegexProgram, dfa: RegexDFA?) {
            self.pattern = pattern
            self.program = program
            self.dfa = dfa
        }
    }

    private let compiled: Compiled

    /// The pattern as written, for error messages and diagnostics.
    public var pattern: String { compiled.pattern }
    var program: RegexProgram { compiled.program }
    /// Answers ASCII text in one table lookup per byte; nil for `\b`/`\B` or patterns whose automaton is too big.
    var dfa: RegexDFA? { compiled.dfa }

    public init(_ pattern: String) throws(ECMARegexError) {
        let node = try RegexParser.parse(pattern)
        let program = try RegexCompiler.compile(node)
        compiled = Compiled(pattern: pattern, program: program, dfa: RegexDFA(program))
    }

    /// Unanchored search (JSON Schema `pattern` semantics): true if the pattern matches anywhere in `text`.
    public func firstMatch(in text: String) -> Bool {
        if let answer = compiled.dfa?.matches(text) { return answer }
        return PikeVM.search(compiled.program, in: text)
    }

    /// The same search over a slice of a string, without copying it (request paths, header values).
    public func firstMatch(in text: Substring) -> Bool {
        var text = text
        return text.withUTF8 { firstMatch(utf8: $0) }
    }

    /// The same search over valid UTF-8 held in place: the automaton reads the bytes; only text it cannot decide
    /// becomes a `String` for the Pike VM.
    func firstMatch(utf8 text: UnsafeBufferPointer<UInt8>) -> Bool {
        if let answer = compiled.dfa?.matches(utf8: text) { return answer }
        return PikeVM.search(compiled.program, in: String(decoding: text, as: UTF8.self))
    }

    /// True if `pattern` is valid ECMA-262 (`u` flag) syntax, even if this engine would refuse to run it
    /// (`(?<=a)b`, `(a)\1`): what `format: "regex"` asks.
    public static func isValidSyntax(_ pattern: String) -> Bool {
        do throws(ECMARegexError) {
            _ = try RegexParser.parse(pattern)
            return true
        } catch {
            return error.kind != .syntax
        }
    }
}
