import GatewayCore
import NIOCore
import NIOSSL
import Synchronization

/// The certificates handshakes may present, swapped as a whole on reload.
///
/// Each reload publishes one immutable `Generation`: the certificates, the names each covers and a BoringSSL
/// context whose SNI callback serves exactly those certificates. A connection reads the current generation once
/// (`presentation(for:)`) and takes both its TLS context and the names for its 421 checks from it, so it can never
/// present a new certificate while checking hosts against the old one's names, or the reverse. Established
/// connections keep the generation they started with.
final class TLSCertificateStore: Sendable {
    /// Parsed certificates and keys of one configuration, indexed like `TLSSettings.certificates`.
    struct Loaded: Sendable {
        let chains: [[NIOSSLCertificate]]
        let keys: [NIOSSLPrivateKey]
        /// The names each certificate covers (what the 421 check accepts on a connection that presented it).
        let names: [[String]]
        let selector: CertificateSelector

        /// The chain and key for a ClientHello's server name.
        func override(for serverName: String?) -> NIOSSLContextConfigurationOverride {
            let index = selector.select(serverName: serverName)
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = chains[index].map { .certificate($0) }
            override.privateKey = .privateKey(keys[index])
            return override
        }
    }

    /// One published state: the context to hand a new connection and the certificates its callback serves.
    struct Generation: Sendable {
        let loaded: Loaded
        let context: NIOSSLContext
    }

    /// What one new connection gets: the context for its handshake and the names of the certificate that context
    /// will present for the connection's server name.
    struct Presentation {
        let context: NIOSSLContext
        let names: [String]
    }

    /// Protocol floor and ALPN are fixed at start (a reload that changes them says they apply on restart).
    private let minimumVersion: TLSSettings.MinimumVersion
    private let http2: Bool
    private let current: Mutex<Generation>

    init(_ settings: TLSSettings) throws {
        minimumVersion = settings.minimumVersion
        http2 = settings.http2
        let loaded = try Self.load(settings)
        current = Mutex(Generation(loaded: loaded, context: try TLSContextFactory.makeContext(
            minimumVersion: settings.minimumVersion, http2: settings.http2, loaded: loaded)))
    }

    /// Parses everything and builds the new context first, then swaps: a broken file leaves the current one in place.
    func update(_ settings: TLSSettings) throws {
        let loaded = try Self.load(settings)
        let context = try TLSContextFactory.makeContext(minimumVersion: minimumVersion, http2: http2, loaded: loaded)
        current.withLock { $0 = Generation(loaded: loaded, context: context) }
    }

    /// The current generation's context and the names it presents for `serverName`: one read, so they always match.
    func presentation(for serverName: String?) -> Presentation {
        let generation = current.withLock { $0 }
        let index = generation.loaded.selector.select(serverName: serverName)
        return Presentation(context: generation.context, names: generation.loaded.names[index])
    }

    static func load(_ settings: TLSSettings) throws -> Loaded {
        var chains: [[NIOSSLCertificate]] = []
        var keys: [NIOSSLPrivateKey] = []
        for certificate in settings.certificates {
            chains.append(try certificate.chainPEM.map { try NIOSSLCertificate(bytes: Array($0.utf8), format: .pem) })
            keys.append(try NIOSSLPrivateKey(bytes: Array(certificate.privateKeyPEM.utf8), format: .pem))
        }
        guard !chains.isEmpty else { throw TLSSetupError(message: "no certificate configured for HTTPS") }
        return Loaded(chains: chains, keys: keys, names: settings.certificates.map(\.names), selector: settings.selector)
    }
}

struct TLSSetupError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
