/// The HTTPS side of a snapshot: protocol floor, ALPN, and every certificate a handshake may present.
public struct TLSSettings: Sendable, Equatable {
    public enum MinimumVersion: String, Sendable, Equatable {
        case v1_2 = "1.2"
        case v1_3 = "1.3"
    }

    public var minimumVersion: MinimumVersion
    /// Offer `h2` by ALPN (contract default true); `http/1.1` is always offered.
    public var http2: Bool
    /// Distinct certificate/key pairs; `selector` returns indices into this array.
    public var certificates: [ServerCertificate]
    public var selector: CertificateSelector

    public init(minimumVersion: MinimumVersion, http2: Bool, certificates: [ServerCertificate], selector: CertificateSelector) {
        self.minimumVersion = minimumVersion
        self.http2 = http2
        self.certificates = certificates
        self.selector = selector
    }
}

/// A certificate chain and its key as PEM text, with the names the leaf covers (already checked at load).
public struct ServerCertificate: Sendable, Equatable {
    public var certificatePath: String
    public var keyPath: String
    /// Leaf first, then intermediates.
    public var chainPEM: [String]
    public var privateKeyPEM: String
    /// Lowercased DNS (and IP) names of the leaf.
    public var names: [String]

    public init(certificatePath: String, keyPath: String, chainPEM: [String], privateKeyPEM: String, names: [String]) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.chainPEM = chainPEM
        self.privateKeyPEM = privateKeyPEM
        self.names = names
    }
}
