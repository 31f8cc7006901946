/// Why a pattern was refused. `position` counts Unicode scalars from the start of the pattern (0-based), which is
/// what a schema author sees in their editor for anything but astral characters.
public struct ECMARegexError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Lets `format: "regex"` tell "not ECMA-262" (`syntax`) from "valid ECMA-262 this engine will not run".
    public enum Kind: Sendable, Equatable {
        /// Not a valid ECMA-262 pattern (with the `u` flag).
        case syntax
        /// Valid ECMA-262 that cannot be matched in linear time or is not implemented (backreferences, lookaround).
        case unsupported
        /// Valid, but the compiled program would exceed `ECMARegex.maxProgramSize` (large counted repetitions).
        case tooLarge
    }

    public let kind: Kind
    public let position: Int
    public let message: String

    public init(_ kind: Kind, _ message: String, at position: Int) {
        self.kind = kind
        self.message = message
        self.position = position
    }

    public var description: String { "\(message) at \(position)" }
}
