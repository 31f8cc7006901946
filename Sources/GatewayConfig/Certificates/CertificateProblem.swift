/// One finding about a certificate/key pair; the config compiler turns it into a diagnostic at the right pointer.
public struct CertificateProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public let severity: ConfigDiagnostic.Severity
    public let message: String
    /// True when the problem is about the key file, so the caller reports it at the key's pointer.
    public let onKey: Bool

    public init(severity: ConfigDiagnostic.Severity, message: String, onKey: Bool = false) {
        self.severity = severity
        self.message = message
        self.onKey = onKey
    }

    static func error(_ message: String, onKey: Bool = false) -> CertificateProblem {
        CertificateProblem(severity: .error, message: message, onKey: onKey)
    }

    static func warning(_ message: String, onKey: Bool = false) -> CertificateProblem {
        CertificateProblem(severity: .warning, message: message, onKey: onKey)
    }

    public var description: String { severity == .warning ? "warning: \(message)" : message }
}
