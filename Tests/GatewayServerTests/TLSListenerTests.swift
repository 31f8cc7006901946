import Foundation
import Testing
@testable import GatewayServer

extension GatewayServerTests {
    /// Real handshakes against the HTTPS listener with OpenSSL's own client and curl.
    @Suite struct TLSListener {
        struct Certificates {
            let directory: String
            let localhost: (cert: String, key: String)
            let api: (cert: String, key: String)
            let tenants: (cert: String, key: String)
        }

        static func makeCertificates() throws -> Certificates {
            let directory = try TestGateway.makeTemporaryDirectory()
            return Certificates(
                directory: directory,
                localhost: try ExternalTool.makeCertificate(names: ["localhost", "127.0.0.1"], directory: directory, file: "localhost"),
                api: try ExternalTool.makeCertificate(names: ["api.example.test"], directory: directory, file: "api"),
                tenants: try ExternalTool.makeCertificate(names: ["*.tenants.example.test"], directory: directory, file: "tenants"))
        }

        static func config(_ c: Certificates, upstreamPort: Int, minVersion: String = "1.2") -> String {
            #"""
            { "listen": { "http": "127.0.0.1:0", "https": "127.0.0.1:0" }, "admin": { "listen": "127.0.0.1:0" },
              "tls": { "certificates": [ { "cert": "\#(c.localhost.cert)", "key": "\#(c.localhost.key)" } ], "minVersion": "\#(minVersion)" },
              "domains": [
                { "name": "api.example.test", "cert": "\#(c.api.cert)", "key": "\#(c.api.key)", "mappings": [ { "basePath": "/", "api": "test" } ] },
                { "name": "*.tenants.example.test", "cert": "\#(c.tenants.cert)", "key": "\#(c.tenants.key)", "mappings": [ { "basePath": "/", "api": "test" } ] } ],
              "apis": [ { "name": "test", "routes": [
                { "route": "GET /ping", "integration": { "type": "mock", "body": "pong" } },
                { "route": "ANY /echo/{p+}", "integration": { "type": "http", "url": "http://127.0.0.1:\#(upstreamPort)" } } ] } ] }
            """#
        }

        /// Certificates, an upstream and a gateway with an HTTPS listener, all torn down afterwards.
        static func withTLSGateway(minVersion: String = "1.2",
                                   _ body: (Certificates, TestGateway, _ httpsPort: Int) async throws -> Void) async throws {
            let certificates = try makeCertificates()
            defer { try? FileManager.default.removeItem(atPath: certificates.directory) }
            try await withUpstream { upstream in
                try await withGateway(config(certificates, upstreamPort: upstream.port, minVersion: minVersion)) { gateway in
                    try await body(certificates, gateway, try #require(gateway.runtime.httpsAddress?.port))
                }
            }
        }

        /// The subjectAltName line of the certificate the server presents for `serverName` (nil = no SNI).
        static func presentedNames(port: Int, serverName: String?) throws -> String {
            var arguments = ["s_client", "-connect", "127.0.0.1:\(port)"]
            arguments += serverName.map { ["-servername", $0] } ?? ["-noservername"]
            let handshake = try ExternalTool.run("/usr/bin/openssl", arguments)
            let certificate = try ExternalTool.run("/usr/bin/openssl", ["x509", "-noout", "-ext", "subjectAltName"],
                                                   input: handshake.stdout)
            return certificate.stdout.replacingOccurrences(of: "\n", with: " ")
        }

        @Test func sniSelectsTheCertificateInTheContractOrder() async throws {
            try await Self.withTLSGateway { (certificates, gateway, port) async throws in
                #expect(try Self.presentedNames(port: port, serverName: "api.example.test").contains("DNS:api.example.test"))
                #expect(try Self.presentedNames(port: port, serverName: "acme.tenants.example.test").contains("DNS:*.tenants.example.test"))
                #expect(try Self.presentedNames(port: port, serverName: "localhost").contains("DNS:localhost"))
                #expect(try Self.presentedNames(port: port, serverName: "unknown.test").contains("DNS:localhost"), "first default")
                #expect(try Self.presentedNames(port: port, serverName: nil).contains("DNS:localhost"), "no SNI")
                // A verifying client refuses the default certificate for a name it does not cover.
                let strict = try ExternalTool.run("/usr/bin/curl", [
                    "-sS", "--cacert", certificates.localhost.cert, "--resolve", "unknown.test:\(port):127.0.0.1",
                    "https://unknown.test:\(port)/ping"])
                #expect(strict.status == 60, "curl: \(strict.stderr)")
            }
        }

        @Test func httpsRequestsAreRoutedAndForwardedWithProtoHttps() async throws {
            try await Self.withTLSGateway { (certificates, gateway, port) async throws in
                let ping = try ExternalTool.run("/usr/bin/curl", [
                    "-sS", "--http1.1", "--cacert", certificates.api.cert,
                    "--resolve", "api.example.test:\(port):127.0.0.1", "https://api.example.test:\(port)/ping"])
                #expect(ping.status == 0, "\(ping.stderr)")
                #expect(ping.stdout == "pong")
                let echo = try ExternalTool.run("/usr/bin/curl", [
                    "-sS", "--cacert", certificates.tenants.cert,
                    "--resolve", "acme.tenants.example.test:\(port):127.0.0.1",
                    "https://acme.tenants.example.test:\(port)/echo/x"])
                #expect(echo.status == 0, "\(echo.stderr)")
                let seen = try TestUpstream.parseEcho(Array(echo.stdout.utf8))
                #expect(seen.header("x-forwarded-proto") == "https")
                #expect(seen.header("x-forwarded-host") == "acme.tenants.example.test:\(port)")
            }
        }

        @Test func aHostTheConnectionsCertificateDoesNotCoverIsMisdirected() async throws {
            try await Self.withTLSGateway { (certificates, gateway, port) async throws in
                func request(host: String) throws -> ExternalTool.Output {
                    // SNI says api.example.test (the URL's host); the Host header names another domain.
                    try ExternalTool.run("/usr/bin/curl", [
                        "-sS", "--http1.1", "-D", "-", "--cacert", certificates.api.cert, "-H", "Host: \(host)",
                        "--resolve", "api.example.test:\(port):127.0.0.1", "https://api.example.test:\(port)/ping"])
                }
                let misdirected = try request(host: "acme.tenants.example.test")
                #expect(misdirected.stdout.hasPrefix("HTTP/1.1 421 Misdirected Request"), "\(misdirected.stdout)")
                #expect(misdirected.stdout.contains(#""code":"MISDIRECTED_REQUEST""#))
                let same = try request(host: "API.example.test.:\(port)")
                #expect(same.stdout.hasPrefix("HTTP/1.1 200"), "\(same.stdout)")
                #expect(same.stdout.hasSuffix("pong"))
            }
        }

        /// The client options of each TLS 1.0/1.1 refusal check, opened up (SECLEVEL=0) so that only the server
        /// can refuse; the positive control shows this OpenSSL really completes such a handshake.
        static let legacyClients: [(version: String, options: [String])] = [
            ("TLS 1.0", ["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"]),
            ("TLS 1.1", ["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"]),
        ]
        static let legacyClientsWork: Bool = legacyClients.allSatisfy { client in
            OpenSSLControlServer.clientHandshakes(server: client.options, client: client.options)
        }
        /// CBC and RSA-key-exchange TLS 1.2 suites (ECDHE-ECDSA-AES128-SHA works with the test's EC certificates).
        static let weakSuites = ["-tls1_2", "-cipher", "AES128-SHA:AES256-SHA:ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"]

        @Test(.enabled(if: legacyClientsWork,
                       "this machine's openssl cannot complete a TLS 1.0/1.1 handshake even with its own s_server at SECLEVEL=0, so a refusal would prove nothing"))
        func tls10And11AreRefusedByAServerClientsCanReach() async throws {
            try await Self.withTLSGateway { (_, _, port) async throws in
                for client in Self.legacyClients {
                    // Positive control: the same client options against a server that allows the version.
                    #expect(OpenSSLControlServer.clientHandshakes(server: client.options, client: client.options),
                            "\(client.version) control handshake")
                    let old = try ExternalTool.run("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)"] + client.options)
                    #expect(old.status != 0, "\(client.version) must be refused")
                    #expect(!old.stdout.contains("BEGIN CERTIFICATE"))
                }
            }
        }

        @Test func oldProtocolVersionsAreRefusedAndMinVersionIsEnforced() async throws {
            try await Self.withTLSGateway { (_, _, port) async throws in
                // TLS 1.0/1.1, with their positive control: tls10And11AreRefusedByAServerClientsCanReach.
                let modern = try ExternalTool.run("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-tls1_2"])
                #expect(modern.stdout.contains("BEGIN CERTIFICATE"), "TLS 1.2 works")
                // Weak TLS 1.2 suites are not offered: RSA key exchange and CBC are refused. Positive control: the
                // same client completes a handshake with a server that offers those suites.
                #expect(OpenSSLControlServer.clientHandshakes(server: Self.weakSuites, client: Self.weakSuites),
                        "control: the client does negotiate CBC suites when a server offers them")
                let weak = try ExternalTool.run("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)"] + Self.weakSuites)
                #expect(!weak.stdout.contains("BEGIN CERTIFICATE"), "CBC / RSA-kx suites must not be negotiated")
            }
            try await Self.withTLSGateway(minVersion: "1.3") { (_, _, port) async throws in
                // The same -tls1_2 client completed a handshake with the minVersion 1.2 gateway above (the control).
                let tls12 = try ExternalTool.run("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-tls1_2"])
                #expect(!tls12.stdout.contains("BEGIN CERTIFICATE"), "minVersion 1.3 refuses TLS 1.2")
                let tls13 = try ExternalTool.run("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-tls1_3"])
                #expect(tls13.stdout.contains("BEGIN CERTIFICATE"))
            }
        }

        /// SHA-256 fingerprint of the certificate a fresh handshake presents for `localhost`.
        static func fingerprint(port: Int) throws -> String {
            let handshake = try ExternalTool.run("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-servername", "localhost"])
            return try ExternalTool.run("/usr/bin/openssl", ["x509", "-noout", "-fingerprint", "-sha256"], input: handshake.stdout).stdout
        }

        static func fingerprint(file: String) throws -> String {
            try ExternalTool.run("/usr/bin/openssl", ["x509", "-noout", "-fingerprint", "-sha256", "-in", file]).stdout
        }

        @Test func reloadSwapsCertificatesForNewHandshakesWhileOpenConnectionsKeepWorking() async throws {
            let certificates = try Self.makeCertificates()
            defer { try? FileManager.default.removeItem(atPath: certificates.directory) }
            try await withUpstream { upstream in
                let gateway = try await TestGateway.start(Self.config(certificates, upstreamPort: upstream.port),
                                                          certificateCheckInterval: .milliseconds(50))
                let watcher = Task { await gateway.runtime.watchCertificateFiles() }
                defer { watcher.cancel() }
                do {
                    let port = try #require(gateway.runtime.httpsAddress?.port)
                    let original = try Self.fingerprint(file: certificates.localhost.cert)
                    #expect(try Self.fingerprint(port: port) == original)
                    let open = try await TLSTestClient.connect(port: port, serverName: "localhost")
                    _ = try await open.exchange("GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n", expecting: "pong")

                    // 1. POST /reload (the admin path) after replacing the files: new handshakes get the new certificate.
                    let renewed = try ExternalTool.makeCertificate(names: ["localhost", "127.0.0.1"], directory: certificates.directory, file: "renewed")
                    try FileManager.default.removeItem(atPath: certificates.localhost.cert)
                    try FileManager.default.removeItem(atPath: certificates.localhost.key)
                    try FileManager.default.copyItem(atPath: renewed.cert, toPath: certificates.localhost.cert)
                    try FileManager.default.copyItem(atPath: renewed.key, toPath: certificates.localhost.key)
                    let reload = try exchange(port: gateway.adminPort, "POST /reload HTTP/1.1\r\nHost: admin\r\nContent-Length: 0\r\n\r\n")
                    #expect(reload.status == 200)
                    let second = try Self.fingerprint(file: certificates.localhost.cert)
                    #expect(second != original)
                    #expect(try Self.fingerprint(port: port) == second)
                    // The connection opened before keeps working on its original certificate.
                    _ = try await open.exchange("GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n", expecting: "pong")

                    // 2. A broken file keeps the running certificate (the reload is rejected and says why).
                    try "not a certificate".write(toFile: certificates.localhost.cert, atomically: true, encoding: .utf8)
                    let rejected = try exchange(port: gateway.adminPort, "POST /reload HTTP/1.1\r\nHost: admin\r\nContent-Length: 0\r\n\r\n")
                    #expect(rejected.status == 400)
                    #expect(String(decoding: rejected.body, as: UTF8.self).contains("/tls/certificates/0/cert"))
                    #expect(try Self.fingerprint(port: port) == second)

                    // 3. A renewal written to disk is picked up by the periodic check, without any reload call.
                    let third = try ExternalTool.makeCertificate(names: ["localhost", "127.0.0.1"], directory: certificates.directory, file: "third")
                    try FileManager.default.removeItem(atPath: certificates.localhost.cert)
                    try FileManager.default.removeItem(atPath: certificates.localhost.key)
                    try FileManager.default.copyItem(atPath: third.key, toPath: certificates.localhost.key)
                    try FileManager.default.copyItem(atPath: third.cert, toPath: certificates.localhost.cert)
                    let expected = try Self.fingerprint(file: third.cert)
                    #expect(await eventually(timeout: .seconds(10), interval: .milliseconds(100)) {
                        (try? Self.fingerprint(port: port)) == expected
                    }, "the periodic check picks up the renewed files")
                    _ = try await open.exchange("GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n", expecting: "pong")
                    await open.close()
                } catch {
                    await gateway.stop()
                    throw error
                }
                await gateway.stop()
            }
        }

        @Test func plainHTTPOnTheTLSPortIsClosedAndTheListenerKeepsServing() async throws {
            try await Self.withTLSGateway { (certificates, gateway, port) async throws in
                let client = try RawClient(port: port)
                try client.send("GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n")
                #expect(client.waitForClose())
                #expect(try Self.presentedNames(port: port, serverName: "localhost").contains("DNS:localhost"))
            }
        }
    }
}
