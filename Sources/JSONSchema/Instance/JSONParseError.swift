/// Why and where JSON text was rejected: byte offset plus 1-based line and column (columns count bytes).
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let offset: Int
    public let line: Int
    public let column: Int

    public var description: String { "\(message) at line \(line), column \(column) (byte \(offset))" }
}
