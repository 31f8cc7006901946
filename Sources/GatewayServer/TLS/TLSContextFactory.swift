import GatewayCore
import NIOSSL

/// Builds the server's BoringSSL context: TLS 1.2+ with forward-secret AEAD suites only, and SNI resolved
/// per handshake among one generation's certificates.
enum TLSContextFactory {
    /// TLS 1.2 suites: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305; no RSA key exchange, no CBC, no SHA-1
    /// MACs. (TLS 1.3 suites are all AEAD and not configurable in BoringSSL.)
    static let tls12CipherSuites = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    /// The context serves only `loaded` (captured, immutable): a later reload builds a new context.
    static func makeContext(minimumVersion: TLSSettings.MinimumVersion, http2: Bool,
                            loaded: TLSCertificateStore.Loaded) throws -> NIOSSLContext {
        let fallback = loaded.selector.select(serverName: nil)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: loaded.chains[fallback].map { .certificate($0) }, privateKey: .privateKey(loaded.keys[fallback]))
        configuration.minimumTLSVersion = minimumVersion == .v1_3 ? .tlsv13 : .tlsv12
        configuration.cipherSuites = tls12CipherSuites
        // h2 first (clients pick by server preference in BoringSSL); HTTP/1.1 is always offered.
        configuration.applicationProtocols = http2 ? ["h2", "http/1.1"] : ["http/1.1"]
        // After the gateway's close_notify, how long a connection waits for the client's. NIOSSL keeps the
        // connection (and its grown buffers) until then even if the client has dropped TCP, so the 5 s default made
        // memory track the close rate (about +21 MB at 180 closes per second); clients rarely answer anyway.
        configuration.shutdownTimeout = .milliseconds(500)
        configuration.sslContextCallback = { values, promise in
            promise.succeed(loaded.override(for: values.serverHostname))
        }
        return try NIOSSLContext(configuration: configuration)
    }
}
