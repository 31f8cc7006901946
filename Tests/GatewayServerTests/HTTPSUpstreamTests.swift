import Foundation
import Testing

extension GatewayServerTests {
    /// `https://` upstreams: the certificate is verified (against `caFile` or the system's trust store) for the URL's
    /// host, over keep-alive connections like plain HTTP.
    @Suite struct HTTPSUpstream {
        func withTLSUpstream(names: [String] = ["localhost"],
                             _ body: (TestUpstream, _ caFile: String, _ directory: String) async throws -> Void) async throws {
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let certificate = try ExternalTool.makeCertificate(names: names, directory: directory, file: "upstream")
            let upstream = try await TestUpstream.start(tls: certificate)
            do {
                try await body(upstream, certificate.cert, directory)
            } catch {
                await upstream.stop()
                throw error
            }
            await upstream.stop()
        }

        func config(_ url: String, caFile: String?) -> String {
            let ca = caFile.map { #", "caFile": "\#($0)""# } ?? ""
            return TestGateway.config(routes: #"""
                { "route": "ANY /{p+}", "integration": { "type": "http", "url": "\#(url)"\#(ca) } }
                """#)
        }

        @Test func aTrustedCertificateForTheHostIsForwardedOverKeepAlive() async throws {
            try await withTLSUpstream { upstream, caFile, _ in
                try await withGateway(config("https://localhost:\(upstream.port)/base", caFile: caFile), eventLoops: 1) { gateway in
                    for _ in 0..<3 {
                        let response = try exchange(port: gateway.port, get("/items/1"))
                        #expect(response.status == 200)
                        let echo = try TestUpstream.parseEcho(response.body)
                        #expect(echo.uri == "/base/items/1" && echo.header("host") == "localhost:\(upstream.port)")
                    }
                    #expect(upstream.connectionCount == 1)  // one TLS connection, kept alive
                }
            }
        }

        @Test func aCertificateTheTrustStoreDoesNotKnowIsRefused() async throws {
            try await withTLSUpstream { upstream, _, _ in
                try await withGateway(config("https://localhost:\(upstream.port)", caFile: nil)) { gateway in
                    let response = try exchange(port: gateway.port, get("/x"))
                    try expectProblem(response, status: 502, code: "INTEGRATION_FAILURE")
                    #expect(upstream.requestCount == 0)
                }
            }
        }

        @Test func aCertificateForAnotherHostIsRefused() async throws {
            try await withTLSUpstream(names: ["other.test"]) { upstream, caFile, _ in
                try await withGateway(config("https://localhost:\(upstream.port)", caFile: caFile)) { gateway in
                    let response = try exchange(port: gateway.port, get("/x"))
                    try expectProblem(response, status: 502, code: "INTEGRATION_FAILURE")
                    #expect(upstream.requestCount == 0)
                }
            }
        }

        @Test func anAddressIsVerifiedAgainstTheCertificatesIPNames() async throws {
            try await withTLSUpstream(names: ["127.0.0.1"]) { upstream, caFile, _ in
                try await withGateway(config("https://127.0.0.1:\(upstream.port)", caFile: caFile)) { gateway in
                    let response = try exchange(port: gateway.port, get("/x"))
                    #expect(response.status == 200)
                }
            }
            try await withTLSUpstream(names: ["127.0.0.2"]) { upstream, caFile, _ in
                try await withGateway(config("https://127.0.0.1:\(upstream.port)", caFile: caFile)) { gateway in
                    let refused = try exchange(port: gateway.port, get("/x"))
                    _ = try expectProblem(refused, status: 502, code: "INTEGRATION_FAILURE")
                }
            }
        }
    }
}
