import Foundation

/// A checked certificate chain and its key, as read from disk, so the TLS layer never parses PEM files itself.
public struct CertificateMaterial: Sendable, Equatable {
    /// Absolute path of the PEM chain file.
    public let certificatePath: String
    /// Absolute path of the PEM private key file.
    public let keyPath: String
    /// Leaf first, then intermediates, each a full "-----BEGIN CERTIFICATE-----" block.
    public let chainPEM: [String]
    public let privateKeyPEM: String
    /// Lowercased dNSName SANs of the leaf plus IP SANs as text; the subject CN only when there are no SANs.
    public let dnsNames: [String]
    public let notBefore: Date
    public let notAfter: Date

    public init(certificatePath: String, keyPath: String, chainPEM: [String], privateKeyPEM: String,
                dnsNames: [String], notBefore: Date, notAfter: Date) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.chainPEM = chainPEM
        self.privateKeyPEM = privateKeyPEM
        self.dnsNames = dnsNames
        self.notBefore = notBefore
        self.notAfter = notAfter
    }
}
