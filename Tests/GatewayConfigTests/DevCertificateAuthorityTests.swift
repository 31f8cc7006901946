import Crypto
import Foundation
import SwiftASN1
import Testing
import X509
@testable import GatewayConfig

@Suite struct DevCertificateAuthorityTests {
    let now = Date()

    @Test func issuesALeafSignedByANewCAThatTheLoaderAccepts() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let files = try DevCertificateAuthority.issue(
            names: ["localhost", "127.0.0.1", "*.tenants.example.test"], directory: dir, now: now)
        #expect(files.createdCA)
        #expect(files.caCertificatePath == dir + "/portcullis-dev-ca.crt")
        #expect(files.caKeyPath == dir + "/portcullis-dev-ca.key")
        #expect(files.certificatePath == dir + "/localhost.crt")
        #expect(files.keyPath == dir + "/localhost.key")
        #expect(files.names == ["localhost", "127.0.0.1", "*.tenants.example.test"])

        let result = CertificateLoader.load(certificatePath: files.certificatePath, keyPath: files.keyPath, now: now)
        #expect(result.problems == [])
        let material = try #require(result.material)
        #expect(material.dnsNames == ["localhost", "127.0.0.1", "*.tenants.example.test"])
        #expect(material.chainPEM.count == 2)
        #expect(CertificateLoader.covers(material.dnsNames, host: "acme.tenants.example.test"))

        let leaf = try Certificate(pemEncoded: material.chainPEM[0])
        let ca = try Certificate(pemEncoded: String(contentsOfFile: files.caCertificatePath, encoding: .utf8))
        #expect(try Certificate(pemEncoded: material.chainPEM[1]) == ca)
        #expect(leaf.issuer == ca.subject)
        #expect(ca.publicKey.isValidSignature(leaf.signature, for: leaf))
        #expect(ca.subject == (try DistinguishedName { CommonName("Portcullis Development CA") }))
        #expect(try ca.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        #expect(try ca.extensions.keyUsage?.keyCertSign == true)
        #expect(ca.publicKey.description == "P256.PublicKey")
        #expect(leaf.publicKey.description == "P256.PublicKey")
        #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try leaf.extensions.extendedKeyUsage?.contains(.serverAuth) == true)
        #expect(leaf.notValidAfter.timeIntervalSince(leaf.notValidBefore) == 825 * 86_400)
        #expect(ca.notValidAfter.timeIntervalSince(ca.notValidBefore) == 3650 * 86_400)
    }

    @Test func leafVerifiesAgainstTheCAWithTheX509Verifier() async throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let files = try DevCertificateAuthority.issue(names: ["api.example.test"], directory: dir, now: now)
        let chain = try PEMDocument.parseMultiple(pemString: String(contentsOfFile: files.certificatePath, encoding: .utf8))
            .map { try Certificate(pemDocument: $0) }
        var verifier = Verifier(rootCertificates: CertificateStore([chain[1]])) {
            RFC5280Policy()
        }
        let result = await verifier.validate(leaf: chain[0], intermediates: CertificateStore())
        guard case .validCertificate = result else {
            Issue.record("leaf did not verify: \(result)")
            return
        }
    }

    @Test func keyFilesAreOwnerOnly() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let files = try DevCertificateAuthority.issue(names: ["localhost"], directory: dir, now: now)
        func mode(_ path: String) throws -> Int {
            try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
        }
        #expect(try mode(files.keyPath) == 0o600)
        #expect(try mode(files.caKeyPath) == 0o600)
        #expect(try mode(files.certificatePath) == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == [
            "localhost.crt", "localhost.key", "portcullis-dev-ca.crt", "portcullis-dev-ca.key",
        ])
    }

    @Test func secondIssueReusesTheCA() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let first = try DevCertificateAuthority.issue(names: ["localhost"], directory: dir, now: now)
        let caPEM = try String(contentsOfFile: first.caCertificatePath, encoding: .utf8)
        let second = try DevCertificateAuthority.issue(names: ["*.tenants.example.test"], directory: dir, now: now)
        #expect(!second.createdCA)
        #expect(try String(contentsOfFile: second.caCertificatePath, encoding: .utf8) == caPEM)
        #expect(second.certificatePath == dir + "/_wildcard.tenants.example.test.crt")
        #expect(second.keyPath == dir + "/_wildcard.tenants.example.test.key")
        let material = CertificateLoader.load(certificatePath: second.certificatePath, keyPath: second.keyPath, now: now)
        #expect(material.material?.dnsNames == ["*.tenants.example.test"])
    }

    @Test func ipv6FirstNameMakesAPortableFileName() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let files = try DevCertificateAuthority.issue(names: ["::1"], directory: dir, now: now)
        #expect(files.certificatePath == dir + "/__1.crt")
        let result = CertificateLoader.load(certificatePath: files.certificatePath, keyPath: files.keyPath, now: now)
        #expect(result.material?.dnsNames == ["::1"])
    }

    @Test func halfPresentCAIsRefused() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let files = try DevCertificateAuthority.issue(names: ["localhost"], directory: dir, now: now)
        try FileManager.default.removeItem(atPath: files.caKeyPath)
        #expect(throws: DevCertificateError.incompleteCA(present: files.caCertificatePath, missing: files.caKeyPath)) {
            try DevCertificateAuthority.issue(names: ["localhost"], directory: dir, now: now)
        }
    }

    @Test func caWithTheWrongKeyIsRefused() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let files = try DevCertificateAuthority.issue(names: ["localhost"], directory: dir, now: now)
        try String(contentsOfFile: files.keyPath, encoding: .utf8)
            .write(toFile: files.caKeyPath, atomically: true, encoding: .utf8)
        #expect(throws: DevCertificateError.caKeyMismatch(certificatePath: files.caCertificatePath,
                                                          keyPath: files.caKeyPath)) {
            try DevCertificateAuthority.issue(names: ["localhost"], directory: dir, now: now)
        }
    }

    @Test func leafNeverOutlivesTheCAAndAnExpiredCAIsRefused() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let old = now.addingTimeInterval(-3600 * 86_400) // CA made ten years ago minus 50 days: 50 days left
        let ca = try DevCertificateAuthority.issue(names: ["old.test"], directory: dir, now: old)
        let leaf = try DevCertificateAuthority.issue(names: ["new.test"], directory: dir, now: now)
        let caCertificate = try Certificate(pemEncoded: String(contentsOfFile: ca.caCertificatePath, encoding: .utf8))
        #expect(leaf.notAfter == caCertificate.notValidAfter)
        let later = now.addingTimeInterval(51 * 86_400)
        #expect(throws: DevCertificateError.caExpired(path: ca.caCertificatePath,
                                                      notAfter: CertificateLoader.timestamp(caCertificate.notValidAfter))) {
            try DevCertificateAuthority.issue(names: ["new.test"], directory: dir, now: later)
        }
    }

    @Test(arguments: ["", "a..b", "-a.test", "a_b.test", "*.test", "a.*.test", "f*.test", "*"])
    func invalidNamesAreRefused(name: String) throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        #expect(throws: DevCertificateError.self) {
            try DevCertificateAuthority.issue(names: [name], directory: dir, now: now)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == [])
    }

    @Test func noNamesIsAnError() throws {
        #expect(throws: DevCertificateError.noNames) {
            try DevCertificateAuthority.issue(names: [], directory: "/nonexistent", now: now)
        }
    }
}
