import GatewayCore
import NIOSSL

/// Builds the server's BoringSSL context: TLS 1.2+ with forward-secret AEAD suites only, and SNI resolved
/// per handshake through the certificate store.
enum TLSContextFactory {
    /// TLS 1.2 suites: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305; no RSA key exchange, no CBC, no SHA-1
    /// MACs. (TLS 1.3 suites are all AEAD and not configurable in BoringSSL.)
    static let tls12CipherSuites = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    static func makeContext(settings: TLSSettings, store: TLSCertificateStore) throws -> NIOSSLContext {
        let fallback = store.fallback
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: fallback.chain.map { .certificate($0) }, privateKey: .privateKey(fallback.key))
        configuration.minimumTLSVersion = settings.minimumVersion == .v1_3 ? .tlsv13 : .tlsv12
        configuration.cipherSuites = tls12CipherSuites
        // h2 first (clients pick by server preference in BoringSSL); HTTP/1.1 is always offered.
        configuration.applicationProtocols = settings.http2 ? ["h2", "http/1.1"] : ["http/1.1"]
        configuration.sslContextCallback = { values, promise in
            promise.succeed(store.override(for: values.serverHostname))
        }
        return try NIOSSLContext(configuration: configuration)
    }
}
