/// One problem found in a config, addressed by JSON pointer so editors and operators can find it.
public struct ConfigDiagnostic: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable, Equatable {
        case error
        case warning
    }

    /// RFC 6901 pointer of the offending value; "" is the whole document.
    public let pointer: String
    public let message: String
    public let severity: Severity

    public init(pointer: String, message: String, severity: Severity = .error) {
        self.pointer = pointer
        self.message = message
        self.severity = severity
    }

    public static func error(_ pointer: String, _ message: String) -> ConfigDiagnostic {
        ConfigDiagnostic(pointer: pointer, message: message, severity: .error)
    }

    public static func warning(_ pointer: String, _ message: String) -> ConfigDiagnostic {
        ConfigDiagnostic(pointer: pointer, message: message, severity: .warning)
    }

    public var isError: Bool { severity == .error }

    /// The contract's `PATH: /json/pointer: message` line, as `portcullis check` prints it.
    public func formatted(displayPath: String) -> String {
        "\(displayPath): \(pointer): \(severity == .warning ? "warning: " : "")\(message)"
    }

    public var description: String { "\(pointer): \(severity == .warning ? "warning: " : "")\(message)" }
}
