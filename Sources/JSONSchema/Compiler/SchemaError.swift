/// A schema that cannot be compiled: `pointer` locates the offending value inside the compiled document (or, for
/// another registered document, is prefixed by that document's URI).
public struct SchemaError: Error, Sendable, CustomStringConvertible, Equatable {
    public let pointer: String
    public let message: String

    public init(pointer: String, message: String) {
        self.pointer = pointer
        self.message = message
    }

    public var description: String { "\(pointer.isEmpty ? "(root)" : pointer): \(message)" }
}
