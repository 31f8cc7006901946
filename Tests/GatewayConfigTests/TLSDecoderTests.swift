import Foundation
import GatewayConfig
import GatewayCore
import Testing

/// `listen.https`, `tls` and domain certificates, compiled against real certificate files from the dev CA.
@Suite struct TLSDecoderTests {
    let now = Date()
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "portcullis-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Issues a leaf for `names` whose validity started `daysAgo` days ago (leaves live 825 days).
    func issue(_ names: [String], daysAgo: Double = 0, into subdirectory: String = "") throws -> DevCertificateFiles {
        let target = directory + subdirectory
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        return try DevCertificateAuthority.issue(names: names, directory: target, now: now.addingTimeInterval(-daysAgo * 86_400))
    }

    func compile(_ json: String) -> ConfigLoadResult {
        ConfigLoader.compile(data: Array(json.utf8), sourcePath: directory + "/gateway.json", environment: [:], now: now)
    }

    func config(tls: String = "", domains: String = "", https: Bool = true) -> String {
        let listen = https ? #""http": "127.0.0.1:8080", "https": "127.0.0.1:8443""# : #""http": "127.0.0.1:8080""#
        return #"{ "listen": { \#(listen) }, \#(tls.isEmpty ? "" : tls + ",") \#(domains.isEmpty ? "" : domains + ",")"#
            + #" "apis": [ { "name": "a", "routes": [ { "route": "GET /", "integration": { "type": "mock" } } ] } ] }"#
    }

    func messages(_ result: ConfigLoadResult) -> [String] { result.diagnostics.map(\.description) }

    @Test func compilesDefaultAndDomainCertificatesIntoASelector() throws {
        let localhost = try issue(["localhost"])
        let api = try issue(["api.example.test"])
        let result = compile(config(
            tls: #""tls": { "certificates": [ { "cert": "\#(localhost.certificatePath)", "key": "\#(localhost.keyPath)" } ], "minVersion": "1.3", "http2": false }"#,
            domains: #""domains": [ { "name": "api.example.test", "cert": "\#(api.certificatePath)", "key": "\#(api.keyPath)", "mappings": [ { "api": "a" } ] } ]"#))
        #expect(messages(result) == [])
        let tls = try #require(result.snapshot?.settings.tls)
        #expect(result.snapshot?.settings.listen.https == ListenAddress(host: "127.0.0.1", port: 8443))
        #expect(tls.minimumVersion == .v1_3)
        #expect(!tls.http2)
        #expect(tls.certificates.count == 2)
        #expect(tls.certificates[tls.selector.select(serverName: "api.example.test")].names == ["api.example.test"])
        #expect(tls.certificates[tls.selector.select(serverName: "other.test")].names == ["localhost"])
        #expect(tls.certificates[0].chainPEM.count == 2, "leaf + CA")
    }

    @Test func httpsNeedsACertificate() {
        #expect(messages(compile(config())) == [
            "/listen/https: an HTTPS listener needs at least one certificate (in /tls/certificates or a domain's \"cert\")",
        ])
    }

    @Test func expiredCertificatesAreErrorsAndSoonExpiringOnesWarnings() throws {
        let expired = try issue(["localhost"], daysAgo: 830, into: "/expired")
        let result = compile(config(tls: #""tls": { "certificates": [ { "cert": "\#(expired.certificatePath)", "key": "\#(expired.keyPath)" } ] }"#))
        #expect(result.snapshot == nil)
        #expect(result.errors.count == 1)
        #expect(result.errors.first?.pointer == "/tls/certificates/0/cert")
        #expect(result.errors.first?.message.contains("expired") == true, "\(messages(result))")

        let expiring = try issue(["localhost"], daysAgo: 815, into: "/expiring")
        let warned = compile(config(tls: #""tls": { "certificates": [ { "cert": "\#(expiring.certificatePath)", "key": "\#(expiring.keyPath)" } ] }"#))
        #expect(warned.snapshot != nil, "a warning does not stop the gateway")
        #expect(warned.warnings.map(\.pointer) == ["/tls/certificates/0/cert"])
        let warning = warned.warnings.first?.message ?? ""
        #expect(warning.hasPrefix("certificate expires in 9 days") || warning.hasPrefix("certificate expires in 10 days"),
                "\(messages(warned))")
    }

    @Test func aKeyThatDoesNotMatchItsCertificateIsReportedAtTheKey() throws {
        let a = try issue(["localhost"], into: "/a")
        let b = try issue(["localhost"], into: "/b")
        let result = compile(config(tls: #""tls": { "certificates": [ { "cert": "\#(a.certificatePath)", "key": "\#(b.keyPath)" } ] }"#))
        #expect(result.snapshot == nil)
        #expect(result.errors.map(\.pointer) == ["/tls/certificates/0/key"], "\(messages(result))")
    }

    @Test func aDomainCertificateMustCoverTheDomain() throws {
        let other = try issue(["other.example.test"])
        let result = compile(config(domains: #""domains": [ { "name": "api.example.test", "cert": "\#(other.certificatePath)", "key": "\#(other.keyPath)", "mappings": [ { "api": "a" } ] } ]"#))
        #expect(messages(result) == [
            #"/domains/0/cert: the certificate does not cover "api.example.test" (it covers "other.example.test")"#,
        ])
        let wildcard = try issue(["*.tenants.example.test"], into: "/w")
        let ok = compile(config(domains: #""domains": [ { "name": "*.tenants.example.test", "cert": "\#(wildcard.certificatePath)", "key": "\#(wildcard.keyPath)", "mappings": [ { "api": "a" } ] } ]"#))
        #expect(messages(ok) == [])
    }

    @Test func unreadableFilesAndBadVersionsAreReportedWithTheirPointers() {
        let result = compile(config(tls: #""tls": { "certificates": [ { "cert": "missing.crt", "key": "missing.key" } ], "minVersion": "1.1" }"#))
        #expect(result.snapshot == nil)
        #expect(messages(result).contains(#"/tls/minVersion: must be "1.2" or "1.3" (got "1.1")"#))
        #expect(result.errors.contains { $0.pointer == "/tls/certificates/0/cert" && $0.message.contains(directory + "/missing.crt") })
    }

    @Test func certificatesWithoutAnHTTPSListenerAreAWarning() throws {
        let localhost = try issue(["localhost"])
        let result = compile(config(tls: #""tls": { "certificates": [ { "cert": "\#(localhost.certificatePath)", "key": "\#(localhost.keyPath)" } ] }"#,
                                    https: false))
        #expect(result.snapshot != nil)
        #expect(messages(result) == ["/listen/https: warning: certificates are configured but there is no HTTPS listener"])
    }
}

extension TLSDecoderTests {
    @Test func http2IsAcceptedWithoutDiagnostics() throws {
        let localhost = try issue(["localhost"])
        for flag in ["true", "false"] {
            let result = compile(config(tls: #""tls": { "certificates": [ { "cert": "\#(localhost.certificatePath)", "key": "\#(localhost.keyPath)" } ], "http2": \#(flag) }"#))
            #expect(result.snapshot?.settings.tls?.http2 == (flag == "true"))
            #expect(messages(result).isEmpty)
        }
    }

    @Test func http2MustBeABoolean() throws {
        let localhost = try issue(["localhost"])
        let result = compile(config(tls: #""tls": { "certificates": [ { "cert": "\#(localhost.certificatePath)", "key": "\#(localhost.keyPath)" } ], "http2": "yes" }"#))
        #expect(result.snapshot == nil)
        #expect(messages(result).contains { $0.hasPrefix("/tls/http2: must be true or false") }, "\(messages(result))")
    }
}
