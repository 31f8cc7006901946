@testable import JSONSchema

/// Compiles `pattern` and searches `text`; a pattern that does not compile is a test failure via `throws`.
func regexMatches(_ pattern: String, _ text: String) throws -> Bool {
    try ECMARegex(pattern).firstMatch(in: text)
}

/// The error `ECMARegex(pattern)` throws, or nil if it compiles.
func regexError(_ pattern: String) -> ECMARegexError? {
    do throws(ECMARegexError) {
        _ = try ECMARegex(pattern)
        return nil
    } catch {
        return error
    }
}

/// A string from code points, so tests can name scalars a source file would make invisible.
func scalars(_ values: UInt32...) -> String {
    var view = String.UnicodeScalarView()
    for v in values { view.append(Unicode.Scalar(v)!) }
    return String(view)
}
