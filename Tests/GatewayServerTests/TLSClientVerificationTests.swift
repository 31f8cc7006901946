import AsyncHTTPClient
import Foundation
import GatewayConfig
import NIOCore
import NIOSSL
import Testing

extension GatewayServerTests {
    /// HTTPS through AsyncHTTPClient, which verifies the whole chain and the host name against the dev CA: the
    /// certificates SNI selects must be the right ones, not just some certificate.
    @Suite struct TLSClientVerification {
        struct Setup {
            let directory: String
            let ca: String
            let localhost: DevCertificateFiles
            let api: DevCertificateFiles
            let tenants: DevCertificateFiles
        }

        static func makeSetup() throws -> Setup {
            let directory = try TestGateway.makeTemporaryDirectory()
            let localhost = try DevCertificateAuthority.issue(names: ["localhost", "127.0.0.1"], directory: directory)
            let api = try DevCertificateAuthority.issue(names: ["api.example.test"], directory: directory)
            let tenants = try DevCertificateAuthority.issue(names: ["*.tenants.example.test"], directory: directory)
            return Setup(directory: directory, ca: localhost.caCertificatePath, localhost: localhost, api: api, tenants: tenants)
        }

        static func config(_ setup: Setup) -> String {
            #"""
            { "listen": { "http": "127.0.0.1:0", "https": "127.0.0.1:0" }, "admin": { "listen": "127.0.0.1:0" },
              "tls": { "certificates": [ { "cert": "\#(setup.localhost.certificatePath)", "key": "\#(setup.localhost.keyPath)" } ] },
              "domains": [
                { "name": "api.example.test", "cert": "\#(setup.api.certificatePath)", "key": "\#(setup.api.keyPath)", "mappings": [ { "basePath": "/", "api": "t" } ] },
                { "name": "*.tenants.example.test", "cert": "\#(setup.tenants.certificatePath)", "key": "\#(setup.tenants.keyPath)", "mappings": [ { "basePath": "/", "api": "t" } ] } ],
              "apis": [ { "name": "t", "routes": [ { "route": "GET /ping", "integration": { "type": "mock", "body": "pong" } } ] } ] }
            """#
        }

        static func client(trusting caPath: String) throws -> HTTPClient {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caPath))
            var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
            configuration.dnsOverride = ["api.example.test": "127.0.0.1", "acme.tenants.example.test": "127.0.0.1",
                                         "unknown.example.test": "127.0.0.1"]
            configuration.httpVersion = .http1Only
            return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        }

        /// Negative cases use a short deadline: AsyncHTTPClient retries failed handshakes until it expires.
        static func get(_ client: HTTPClient, _ url: String, timeout: TimeAmount = .seconds(10)) async throws -> (status: UInt, body: String) {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: timeout)
            let body = try await response.body.collect(upTo: 1 << 16)
            return (response.status.code, String(buffer: body))
        }

        @Test func verifiedHandshakesForEveryConfiguredName() async throws {
            let setup = try Self.makeSetup()
            defer { try? FileManager.default.removeItem(atPath: setup.directory) }
            try await withGateway(Self.config(setup)) { gateway in
                let port = try #require(gateway.runtime.httpsAddress?.port)
                let client = try Self.client(trusting: setup.ca)
                do {
                    for host in ["localhost", "api.example.test", "acme.tenants.example.test"] {
                        let response = try await Self.get(client, "https://\(host):\(port)/ping")
                        #expect(response.status == 200, "\(host)")
                        #expect(response.body == "pong", "\(host)")
                    }
                    // A name no certificate covers: the handshake presents the first default (localhost). AsyncHTTPClient
                    // reuses a connection to the same address, or (observed, with dnsOverride to 127.0.0.1) accepts the
                    // default certificate's IP SAN; either way the gateway must refuse the request with 421, never 200.
                    // (Strict host-name verification of the same case: the curl check in TLSListener.)
                    let outcome: UInt? = try? await Self.get(client, "https://unknown.example.test:\(port)/ping",
                                                             timeout: .seconds(2)).status
                    #expect(outcome == nil || outcome == 421, "got \(String(describing: outcome))")
                } catch {
                    try await client.shutdown()
                    throw error
                }
                try await client.shutdown()
            }
        }

        @Test func aClientThatTrustsAnotherAuthorityRefusesTheHandshake() async throws {
            let setup = try Self.makeSetup()
            defer { try? FileManager.default.removeItem(atPath: setup.directory) }
            let otherDirectory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: otherDirectory) }
            let other = try DevCertificateAuthority.issue(names: ["localhost"], directory: otherDirectory)
            try await withGateway(Self.config(setup)) { gateway in
                let port = try #require(gateway.runtime.httpsAddress?.port)
                let client = try Self.client(trusting: other.caCertificatePath)
                await #expect(throws: (any Error).self) {
                    _ = try await Self.get(client, "https://localhost:\(port)/ping", timeout: .seconds(2))
                }
                try await client.shutdown()
            }
        }
    }
}
