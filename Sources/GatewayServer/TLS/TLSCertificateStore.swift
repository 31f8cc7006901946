import GatewayCore
import NIOCore
import NIOSSL
import Synchronization

/// The certificates handshakes may present, swapped as a whole on reload.
///
/// The SNI callback (`sslContextCallback`) reads it under a lock once per ClientHello, so new certificates take
/// effect for new handshakes without rebuilding listeners, and established connections are untouched.
final class TLSCertificateStore: Sendable {
    struct Loaded: Sendable {
        let chains: [[NIOSSLCertificate]]
        let keys: [NIOSSLPrivateKey]
        let selector: CertificateSelector
    }

    private let state: Mutex<Loaded>

    init(_ settings: TLSSettings) throws {
        state = Mutex(try Self.load(settings))
    }

    /// Parses everything first, then swaps: a broken file leaves the current certificates in place.
    func update(_ settings: TLSSettings) throws {
        let loaded = try Self.load(settings)
        state.withLock { $0 = loaded }
    }

    /// The chain and key for a ClientHello's server name.
    func override(for serverName: String?) -> NIOSSLContextConfigurationOverride {
        state.withLock { loaded in
            let index = loaded.selector.select(serverName: serverName)
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = loaded.chains[index].map { .certificate($0) }
            override.privateKey = .privateKey(loaded.keys[index])
            return override
        }
    }

    /// The certificate a handshake without SNI gets; also the context's base certificate.
    var fallback: (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) {
        state.withLock { loaded in
            let index = loaded.selector.select(serverName: nil)
            return (loaded.chains[index], loaded.keys[index])
        }
    }

    static func load(_ settings: TLSSettings) throws -> Loaded {
        var chains: [[NIOSSLCertificate]] = []
        var keys: [NIOSSLPrivateKey] = []
        for certificate in settings.certificates {
            chains.append(try certificate.chainPEM.map { try NIOSSLCertificate(bytes: Array($0.utf8), format: .pem) })
            keys.append(try NIOSSLPrivateKey(bytes: Array(certificate.privateKeyPEM.utf8), format: .pem))
        }
        guard !chains.isEmpty else { throw TLSSetupError(message: "no certificate configured for HTTPS") }
        return Loaded(chains: chains, keys: keys, selector: settings.selector)
    }
}

struct TLSSetupError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
