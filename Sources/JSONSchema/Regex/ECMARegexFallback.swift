// TEMPORARY adapter until the linear-time ECMA-262 engine (branch schema-regex) is merged: the same API over Swift's
// backtracking `Regex`, so it has neither ECMA-262's exact syntax nor bounded matching time. Delete on merge.

/// Why a `pattern` could not be compiled.
public struct ECMARegexError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// An ECMA-262 regular expression for `pattern`/`patternProperties` (temporary Swift `Regex` adapter).
public struct ECMARegex: Sendable {
    /// Proof of Sendable-safety: the compiled `Regex` is immutable after init and only read by `firstMatch`.
    private nonisolated(unsafe) let regex: Regex<AnyRegexOutput>

    public init(_ pattern: String) throws(ECMARegexError) {
        do {
            regex = try Regex(pattern)
                .asciiOnlyDigits()
                .asciiOnlyWordCharacters()
                .matchingSemantics(.unicodeScalar)
        } catch {
            throw ECMARegexError(description: "invalid regular expression: \(error)")
        }
    }

    /// Unanchored search, as JSON Schema `pattern` requires.
    public func firstMatch(in text: String) -> Bool {
        (try? regex.firstMatch(in: text)) != nil
    }
}
