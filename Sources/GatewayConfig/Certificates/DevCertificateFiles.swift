import Foundation

/// What `DevCertificateAuthority.issue` wrote, so the CLI can list the files and say whether the CA is new.
public struct DevCertificateFiles: Sendable, Equatable {
    public let caCertificatePath: String
    public let caKeyPath: String
    /// True when this call created the CA, which then has to be trusted (again).
    public let createdCA: Bool
    /// The leaf chain (leaf + CA) and its key.
    public let certificatePath: String
    public let keyPath: String
    /// The leaf's SANs as issued (normalized text, in argument order).
    public let names: [String]
    public let notAfter: Date

    public init(caCertificatePath: String, caKeyPath: String, createdCA: Bool, certificatePath: String,
                keyPath: String, names: [String], notAfter: Date) {
        self.caCertificatePath = caCertificatePath
        self.caKeyPath = caKeyPath
        self.createdCA = createdCA
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.names = names
        self.notAfter = notAfter
    }
}
