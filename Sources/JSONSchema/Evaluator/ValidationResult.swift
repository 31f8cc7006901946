/// The outcome of one validation: every violation found, up to the caller's cap.
public struct ValidationResult: Sendable {
    public var isValid: Bool
    public var errors: [ValidationError]
    /// More violations existed than `maxErrors` allowed to report.
    public var truncated: Bool

    public init(isValid: Bool, errors: [ValidationError], truncated: Bool) {
        self.isValid = isValid
        self.errors = errors
        self.truncated = truncated
    }
}

/// One violation: where in the instance, which keyword at which schema location, and a short human message.
public struct ValidationError: Sendable, Equatable, CustomStringConvertible {
    public let instancePointer: String
    public let keyword: String
    public let schemaLocation: String
    public let message: String

    public init(instancePointer: String, keyword: String, schemaLocation: String, message: String) {
        self.instancePointer = instancePointer
        self.keyword = keyword
        self.schemaLocation = schemaLocation
        self.message = message
    }

    public var description: String {
        "\(instancePointer.isEmpty ? "(root)" : instancePointer): \(message) [\(keyword) at \(schemaLocation.isEmpty ? "#" : schemaLocation)]"
    }
}
