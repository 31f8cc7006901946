import Crypto
import Foundation
import SwiftASN1
import Testing
import X509
@testable import GatewayConfig

@Suite struct CertificateLoaderTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000) // 2027-01-15T08:00:00Z
    let day: TimeInterval = 86_400

    @Test func validCertificateLoadsWithItsNames() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let files = try CertificateFixtures.write(
            CertificateFixtures.selfSigned(names: ["API.Example.Test", "127.0.0.1", "::1"],
                                           notBefore: now - day, notAfter: now + 365 * day), to: dir)
        let result = CertificateLoader.load(certificatePath: files.certificate, keyPath: files.key, now: now)
        #expect(result.problems == [])
        let material = try #require(result.material)
        #expect(material.dnsNames == ["api.example.test", "127.0.0.1", "::1"])
        #expect(material.chainPEM.count == 1)
        #expect(material.chainPEM[0].hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(material.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(material.certificatePath == files.certificate)
        #expect(material.keyPath == files.key)
        #expect(material.notAfter == now + 365 * day)
    }

    @Test func relativePathsBecomeAbsolute() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let files = try CertificateFixtures.write(
            CertificateFixtures.selfSigned(names: ["a.test"], notBefore: now - day, notAfter: now + 365 * day), to: dir)
        let cwd = FileManager.default.currentDirectoryPath
        let relative = String(repeating: "../", count: cwd.split(separator: "/").count) + files.certificate.dropFirst()
        let result = CertificateLoader.load(certificatePath: relative, keyPath: files.key, now: now)
        #expect(result.material?.certificatePath == files.certificate)
    }

    @Test func expiredCertificateIsAnError() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let files = try CertificateFixtures.write(
            CertificateFixtures.selfSigned(names: ["a.test"], notBefore: now - 100 * day, notAfter: now - 3 * day),
            to: dir)
        let result = CertificateLoader.load(certificatePath: files.certificate, keyPath: files.key, now: now)
        #expect(result.material == nil)
        #expect(result.problems.map(\.severity) == [.error])
        #expect(result.problems.first?.message == "certificate expired 3 days ago (2027-01-12T08:00:00Z)")
        #expect(result.problems.first?.onKey == false)
    }

    @Test func notYetValidCertificateIsAnError() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let files = try CertificateFixtures.write(
            CertificateFixtures.selfSigned(names: ["a.test"], notBefore: now + day, notAfter: now + 100 * day), to: dir)
        let result = CertificateLoader.load(certificatePath: files.certificate, keyPath: files.key, now: now)
        #expect(result.material == nil)
        #expect(result.problems.map(\.message) == ["certificate is not valid before 2027-01-16T08:00:00Z"])
    }

    @Test func certificateExpiringWithin30DaysIsAWarning() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let files = try CertificateFixtures.write(
            CertificateFixtures.selfSigned(names: ["a.test"], notBefore: now - 80 * day, notAfter: now + 10 * day),
            to: dir)
        let result = CertificateLoader.load(certificatePath: files.certificate, keyPath: files.key, now: now)
        #expect(result.material != nil)
        #expect(result.problems == [
            CertificateProblem(severity: .warning, message: "certificate expires in 10 days (2027-01-25T08:00:00Z)"),
        ])
    }

    @Test func certificateExpiringIn31DaysIsFine() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let files = try CertificateFixtures.write(
            CertificateFixtures.selfSigned(names: ["a.test"], notBefore: now - day, notAfter: now + 31 * day), to: dir)
        #expect(CertificateLoader.load(certificatePath: files.certificate, keyPath: files.key, now: now).problems == [])
    }

    @Test func keyThatDoesNotMatchIsAnErrorOnTheKey() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let cert = try CertificateFixtures.write(
            CertificateFixtures.selfSigned(names: ["a.test"], notBefore: now - day, notAfter: now + 365 * day),
            to: dir, stem: "a")
        let other = try CertificateFixtures.write(
            CertificateFixtures.selfSigned(names: ["b.test"], notBefore: now - day, notAfter: now + 365 * day),
            to: dir, stem: "b")
        let result = CertificateLoader.load(certificatePath: cert.certificate, keyPath: other.key, now: now)
        #expect(result.material == nil)
        #expect(result.problems.count == 1)
        #expect(result.problems.first?.severity == .error)
        #expect(result.problems.first?.onKey == true)
        #expect(result.problems.first?.message.hasPrefix("private key does not match the certificate") == true)
    }

    @Test func missingFilesAreErrorsNamingThePath() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let result = CertificateLoader.load(certificatePath: dir + "/nope.crt", keyPath: dir + "/nope.key", now: now)
        #expect(result.material == nil)
        #expect(result.problems == [
            CertificateProblem(severity: .error, message: "cannot read certificate file \(dir)/nope.crt: no such file"),
            CertificateProblem(severity: .error, message: "cannot read key file \(dir)/nope.key: no such file",
                               onKey: true),
        ])
    }

    @Test(.enabled(if: geteuid() != 0, "root reads mode 000 files anyway; existingPathThatCannotBeReadIsAnError covers it"))
    func unreadableFileIsAnErrorNamingThePath() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let files = try CertificateFixtures.write(
            CertificateFixtures.selfSigned(names: ["a.test"], notBefore: now - day, notAfter: now + 365 * day), to: dir)
        chmod(files.certificate, 0)
        let result = CertificateLoader.load(certificatePath: files.certificate, keyPath: files.key, now: now)
        #expect(result.problems.map(\.message) == ["cannot read certificate file \(files.certificate): not readable"])
    }

    /// The same property as `unreadableFileIsAnErrorNamingThePath`, in a way root cannot read past: the path exists
    /// but holds no readable file (a directory), for the certificate and for the key.
    @Test func existingPathThatCannotBeReadIsAnError() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let files = try CertificateFixtures.write(
            CertificateFixtures.selfSigned(names: ["a.test"], notBefore: now - day, notAfter: now + 365 * day), to: dir)
        let folder = dir + "/cert-is-a-directory.crt"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let certificate = CertificateLoader.load(certificatePath: folder, keyPath: files.key, now: now)
        #expect(certificate.material == nil)
        #expect(certificate.problems.map(\.message) == ["cannot read certificate file \(folder): not readable"])
        let key = CertificateLoader.load(certificatePath: files.certificate, keyPath: folder, now: now)
        #expect(key.material == nil)
        #expect(key.problems == [CertificateProblem(severity: .error, message: "cannot read key file \(folder): not readable",
                                                     onKey: true)])
    }

    @Test func fileWithoutCertificateIsAnError() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let files = try CertificateFixtures.write(
            CertificateFixtures.selfSigned(names: ["a.test"], notBefore: now - day, notAfter: now + 365 * day), to: dir)
        try "just some text\n".write(toFile: files.certificate, atomically: true, encoding: .utf8)
        let result = CertificateLoader.load(certificatePath: files.certificate, keyPath: files.key, now: now)
        #expect(result.material == nil)
        #expect(result.problems.map(\.message) == ["no certificate (-----BEGIN CERTIFICATE-----) in \(files.certificate)"])
    }

    @Test func garbagePEMIsAnError() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let files = try CertificateFixtures.write(
            CertificateFixtures.selfSigned(names: ["a.test"], notBefore: now - day, notAfter: now + 365 * day), to: dir)
        try "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
            .write(toFile: files.certificate, atomically: true, encoding: .utf8)
        try "-----BEGIN PRIVATE KEY-----\n%%%%\n-----END PRIVATE KEY-----\n"
            .write(toFile: files.key, atomically: true, encoding: .utf8)
        let result = CertificateLoader.load(certificatePath: files.certificate, keyPath: files.key, now: now)
        #expect(result.material == nil)
        #expect(result.problems.count == 2)
        #expect(result.problems.allSatisfy { $0.severity == .error })
        #expect(result.problems[0].message.hasPrefix("cannot parse the certificate in \(files.certificate)"))
        #expect(result.problems[0].onKey == false)
        #expect(result.problems[1].message.hasPrefix("key file \(files.key) is not valid PEM"))
        #expect(result.problems[1].onKey == true)
    }

    @Test func encryptedKeyIsAnError() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let files = try CertificateFixtures.write(
            CertificateFixtures.selfSigned(names: ["a.test"], notBefore: now - day, notAfter: now + 365 * day), to: dir)
        try "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
            .write(toFile: files.key, atomically: true, encoding: .utf8)
        let result = CertificateLoader.load(certificatePath: files.certificate, keyPath: files.key, now: now)
        #expect(result.problems.map(\.message) == [
            "private key in \(files.key) is encrypted; store it unencrypted with mode 0600",
        ])
    }

    @Test func traditionalRSAKeyLoads() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        try CertificateFixtures.rsaCertificate.write(toFile: dir + "/rsa.crt", atomically: true, encoding: .utf8)
        try CertificateFixtures.rsaTraditionalKey.write(toFile: dir + "/rsa.key", atomically: true, encoding: .utf8)
        let result = CertificateLoader.load(certificatePath: dir + "/rsa.crt", keyPath: dir + "/rsa.key", now: now)
        #expect(result.problems == [])
        #expect(result.material?.dnsNames == ["rsa.example.test"])
        #expect(result.material?.privateKeyPEM.hasPrefix("-----BEGIN RSA PRIVATE KEY-----") == true)
    }

    @Test func traditionalECKeyAfterParametersLoadsAndCommonNameIsUsedWithoutSANs() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        try CertificateFixtures.ecP384Certificate.write(toFile: dir + "/ec.crt", atomically: true, encoding: .utf8)
        try CertificateFixtures.ecP384KeyWithParameters.write(toFile: dir + "/ec.key", atomically: true, encoding: .utf8)
        let result = CertificateLoader.load(certificatePath: dir + "/ec.crt", keyPath: dir + "/ec.key", now: now)
        #expect(result.problems == [])
        #expect(result.material?.dnsNames == ["ec.example.test"])
        #expect(result.material?.privateKeyPEM.hasPrefix("-----BEGIN EC PRIVATE KEY-----") == true)
    }

    @Test func chainInTheWrongOrderIsAWarning() throws {
        let dir = try CertificateFixtures.temporaryDirectory()
        let files = try DevCertificateAuthority.issue(names: ["a.test"], directory: dir, now: now)
        let blocks = try PEMDocument.parseMultiple(pemString: String(contentsOfFile: files.certificatePath, encoding: .utf8))
        let unrelated = try CertificateFixtures.selfSigned(names: ["b.test"], notBefore: now - day, notAfter: now + 365 * day)
        try [blocks[0].pemString, unrelated.certificatePEM].joined(separator: "\n")
            .write(toFile: files.certificatePath, atomically: true, encoding: .utf8)
        let result = CertificateLoader.load(certificatePath: files.certificatePath, keyPath: files.keyPath, now: now)
        #expect(result.material?.chainPEM.count == 2)
        #expect(result.problems.map(\.severity) == [.warning])
        #expect(result.problems.first?.message.hasPrefix("chain certificate 2 (CN=b.test) did not issue certificate 1") == true)
    }

    @Test func keyKinds() throws {
        let p256 = Certificate.PrivateKey(P256.Signing.PrivateKey()).publicKey
        let p384 = Certificate.PrivateKey(P384.Signing.PrivateKey()).publicKey
        let p521 = Certificate.PrivateKey(P521.Signing.PrivateKey()).publicKey
        let rsa = try Certificate(pemEncoded: CertificateFixtures.rsaCertificate).publicKey
        #expect(CertificateKeyKind(p256) == .ecdsaP256)
        #expect(CertificateKeyKind(p384) == .ecdsaP384)
        #expect(CertificateKeyKind(rsa) == .rsa(bits: 2048))
        #expect(CertificateKeyKind(rsa).rejection == nil)
        #expect(CertificateKeyKind.rsa(bits: 1024).rejection == "RSA key of 1024 bits is too small (need 2048 or more)")
        #expect(CertificateKeyKind(p521).rejection != nil)
    }

    @Test(arguments: [
        (["api.example.test"], "api.example.test", true),
        (["API.Example.Test"], "api.EXAMPLE.test", true),
        (["api.example.test"], "api.example.test.", true),
        (["api.example.test"], "www.example.test", false),
        (["*.example.test"], "a.example.test", true),
        (["*.example.test"], "A.Example.TEST", true),
        (["*.example.test"], "a.b.example.test", false),
        (["*.example.test"], "example.test", false),
        (["*.example.test"], ".example.test", false),
        (["*.test"], "example.test", false),
        (["*.example.test"], "*.example.test", true),
        (["a.example.test"], "*.example.test", false),
        (["127.0.0.1"], "127.0.0.1", true),
        (["127.0.0.1"], "127.0.0.2", false),
        (["::1"], "0:0:0:0:0:0:0:1", true),
        (["*.0.0.1"], "127.0.0.1", false),
        (["localhost", "127.0.0.1"], "localhost", true),
        ([], "localhost", false),
        (["localhost"], "", false),
    ] as [([String], String, Bool)])
    func covers(names: [String], host: String, expected: Bool) {
        #expect(CertificateLoader.covers(names, host: host) == expected)
    }
}

/// Certificates for tests: self-signed ones with chosen validity, and openssl-made RSA / traditional-PEM ones.
enum CertificateFixtures {
    struct Issued {
        let certificatePEM: String
        let keyPEM: String
    }

    struct Files {
        let certificate: String
        let key: String
    }

    /// A fresh directory under the system temp dir (not removed: tests may inspect it after a failure).
    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("portcullis-certs-\(UUID().uuidString)").standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A self-signed P-256 certificate; names that parse as IPs become iPAddress SANs.
    static func selfSigned(names: [String], notBefore: Date, notAfter: Date) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let privateKey = Certificate.PrivateKey(key)
        let name = try DistinguishedName { CommonName(names.first ?? "test") }
        let sans: [GeneralName] = names.map { name in
            if let v4 = ipv4Bytes(name) { return .ipAddress(ASN1OctetString(contentBytes: v4[...])) }
            if name == "::1" { return .ipAddress(ASN1OctetString(contentBytes: (Array(repeating: 0, count: 15) + [1])[...])) }
            return .dnsName(name)
        }
        let extensions = try Certificate.Extensions(
            sans.isEmpty ? [] : [Certificate.Extension(SubjectAlternativeNames(sans), critical: false)])
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: privateKey.publicKey,
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: privateKey)
        return Issued(certificatePEM: try certificate.serializeAsPEM().pemString, keyPEM: key.pemRepresentation)
    }

    static func write(_ issued: Issued, to directory: String, stem: String = "test") throws -> Files {
        let files = Files(certificate: directory + "/" + stem + ".crt", key: directory + "/" + stem + ".key")
        try (issued.certificatePEM + "\n").write(toFile: files.certificate, atomically: true, encoding: .utf8)
        try (issued.keyPEM + "\n").write(toFile: files.key, atomically: true, encoding: .utf8)
        return files
    }

    private static func ipv4Bytes(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        return parts.count == 4 && text.split(separator: ".").count == 4 ? parts : nil
    }

    static let rsaCertificate = """
    -----BEGIN CERTIFICATE-----
    MIIDNjCCAh6gAwIBAgIUXQrt85gXq4ZD0QAshu8msnUzuqQwDQYJKoZIhvcNAQEL
    BQAwGzEZMBcGA1UEAwwQcnNhLmV4YW1wbGUudGVzdDAgFw0yNjExMjkxNDU5MDFa
    GA8yMTI2MTEwNTE0NTkwMVowGzEZMBcGA1UEAwwQcnNhLmV4YW1wbGUudGVzdDCC
    ASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBALp19r9QPCE64gQpL77J5JTo
    QaqpsfC6ORnL11VG+aijio5IucKrgBAUqNQ979tPfgcTy+tGElTgD2Frznq1vAZk
    nVBzZanhIjgqSZj33lmJHpS+NutEMYr5qwvNKf9lMr/5MN84NUwUI87Vd9KWVeJN
    gZAtOCtfi5VnXkXhNOYYthRcg8yxSe0Ving1ySOepntOCvHynH1M1hI9uZ2NVqc2
    IdV8jVQHUdbDMu4exXMQbQHZ9MvlFFgAFkbx7QmJYY79nASIJ+cZ0wnqRv/RmjvT
    O5D6q/IXqsYD8y5B5qKJ4UVcTaGFMNYUw+W0RAWKDWKpYiXNtTiXJSIxTtay3+MC
    AwEAAaNwMG4wHQYDVR0OBBYEFLkK56PUb0rNyCugo1QkcmQ8OGmQMB8GA1UdIwQY
    MBaAFLkK56PUb0rNyCugo1QkcmQ8OGmQMA8GA1UdEwEB/wQFMAMBAf8wGwYDVR0R
    BBQwEoIQcnNhLmV4YW1wbGUudGVzdDANBgkqhkiG9w0BAQsFAAOCAQEAczktWb96
    RntEqwmQInc6rKHzNg+NKCPwre7OrTRiRVp61NIisBm00gp5jIGzhkG1ZQf14Fq2
    l/Lc3GVc4fQUErie9KQLxuc3iQ5OC9EFwwx+yrKfW1nwPworqBB8W9JQDXdLnyfF
    wGllJoj4wGiuWfpvJU0eOI8ZTdpdK/Z2Z6IeZ32z9itbunZ9Z7+6z95Ki77ITN4o
    H5cljl7gMVOu+QrCM1rx0POMmEOQ76Fl5X5Rdp3cr/pboX8b0N4/omsoPiBqjzGQ
    I1ecBjd4pvwE94yXsTeOcjn76gwVRTKVDNs/Y3aSdxdyU8DgW6opzvOhs/2HnOk0
    cMOpyGXYQnqMWg==
    -----END CERTIFICATE-----
    """

    static let rsaTraditionalKey = """
    -----BEGIN RSA PRIVATE KEY-----
    MIIEogIBAAKCAQEAunX2v1A8ITriBCkvvsnklOhBqqmx8Lo5GcvXVUb5qKOKjki5
    wquAEBSo1D3v209+BxPL60YSVOAPYWvOerW8BmSdUHNlqeEiOCpJmPfeWYkelL42
    60QxivmrC80p/2Uyv/kw3zg1TBQjztV30pZV4k2BkC04K1+LlWdeReE05hi2FFyD
    zLFJ7RWKeDXJI56me04K8fKcfUzWEj25nY1WpzYh1XyNVAdR1sMy7h7FcxBtAdn0
    y+UUWAAWRvHtCYlhjv2cBIgn5xnTCepG/9GaO9M7kPqr8heqxgPzLkHmoonhRVxN
    oYUw1hTD5bREBYoNYqliJc21OJclIjFO1rLf4wIDAQABAoIBAEd46jEhLztJl9Mi
    enO2bdEKSgmB7Hwq1bJmqU692vriXTz28YWGOZtwX9qjNyqoiNVrqDGx9VrlW9/q
    9AWjXcRRkt+ArEp2yqgexYFGGcvWPIulceWyiQ8Nbpwic2O7Rb3CZhJaOEvGOIeS
    2dA14gvRy8UZIDu37whAzCkbDyzXSmh+aZ+oMAWs227aZfpk6ag/OMXubPvWBYdB
    p8PL0/Yeshc1+Xdl7n9Eopy9IwLIkefnn5tjc7ByHjOHY13YgEhZn/GA7EYSvTPd
    SvMrKNuLvGsYPRfk5PllcUYKtyey83pf2uDeClPmeKetHWkmT2A6o4sHGYec75f0
    K5WF8RkCgYEA47s2hjrlQkAGO0rfBBZ9y7ZTs7fc5q3d//wDdwxQQ4CjXBfW5AyN
    pFquox3DAq6MbqloaG6+KT04r61EP3VkqOWFBYQrvxxgq8Ft+GJBgWi2zp18UVxQ
    gZbEuUx83v8oSlqCq09sd2TAOWMNnLsTpJxqyAxBy2PjQ4+WLMSTS4UCgYEA0ZtE
    cGW5Z5otfjMo15HiJptZp2fUJ4kbZsgK9wJRh6vhje1rm7YsLbt5pPIPwuQHibfx
    90tmNj3TnOEjv5AWwkDAqd9hVW386ywhS8m3zLFvW5FMuSxv46aOIC0UMGLxySoP
    PATxnE7jRrXUtuZ5dgwfMlTev2uSJdyNTIIFlkcCgYBvHKD1zTaepG5l75nwfKjU
    BBnCzirRwnNWurdWFoPy64jJHjiS/Cz/y975Z0QGwvNx6uYuThoqNNy7mmZ6L+T1
    I0dL8bkGfeoM40usrQQZB+Zp2R0W9VuyXsWNQ2yJwST/YjnvK8lYV6gSV+oEVqK2
    5jqTcKeJfSsdg6laHm9foQKBgEDExLoihM8BsksLzfQGzSX23RZAnCr3T/NLny/C
    lKTitNjhY14DRdV/18/jSIGFatrgbzFmKBhctHYGj8BS6uVtktsq/m2ihgO5aDR+
    CYCD15Ao7tdNZummfsZsh4+IE4SAraJzOKF/MvWXnDpEL4YNqtonpYjq2Yc/hp38
    k3NjAoGAIMR+H6vAWdpsbNLiehwrPjeaYETb+NXI9V2ckJ8ETPaQUi57G/aAV5uI
    uyGsM1VPdhcX1fozTZjiOwEaPUJ3UdZEeHfc7XJu5mbQ5GTwOrrelZ+7lwLYp58o
    6BbG++olCdlTezxiqDD3nWHnSg5kky0H/j+dctSIH+0mHB1FF2A=
    -----END RSA PRIVATE KEY-----
    """

    static let ecP384Certificate = """
    -----BEGIN CERTIFICATE-----
    MIIByDCCAU6gAwIBAgIUFPUeexsHqs+OZVfy+SJzWdJTVyEwCgYIKoZIzj0EAwIw
    GjEYMBYGA1UEAwwPRUMuRXhhbXBsZS5UZXN0MCAXDTI2MTEyOTE0NTkwMVoYDzIx
    MjYxMTA1MTQ1OTAxWjAaMRgwFgYDVQQDDA9FQy5FeGFtcGxlLlRlc3QwdjAQBgcq
    hkjOPQIBBgUrgQQAIgNiAASIGbQ3MrYalXkiLTL0AQxL00YFf2CrrNfkNZyMlip4
    KrdScaQx8vMS+F+uzgFc9CnYdSUFuHSJG1YD25oVy6eAnRwtfZlYjs7zNgpauno3
    9/qSiSzO1Az6OxyjVVHJ1myjUzBRMB0GA1UdDgQWBBSssxJxy9ChvTzu2htl/3cN
    ovwhqTAfBgNVHSMEGDAWgBSssxJxy9ChvTzu2htl/3cNovwhqTAPBgNVHRMBAf8E
    BTADAQH/MAoGCCqGSM49BAMCA2gAMGUCMQCb2kLkCjB5BIROIEvH79tbYBmMhFon
    bEhfnPQL0YWBBG87GjZK8jIXoDpPInd+q60CMDGakxJ0hG7AzXMVK6LyOOzfu+Nh
    5Ra7rm9u7I1ptKRfNN2eRJH4cIrSmqvVMCRY6A==
    -----END CERTIFICATE-----
    """

    static let ecP384KeyWithParameters = """
    -----BEGIN EC PARAMETERS-----
    BgUrgQQAIg==
    -----END EC PARAMETERS-----
    -----BEGIN EC PRIVATE KEY-----
    MIGkAgEBBDAXEe+QOZQOKwNN/rctzqLMMCPid9Ihjy0BLOIiDoyaIhtbyy/vamqr
    m/ly28RA0vugBwYFK4EEACKhZANiAASIGbQ3MrYalXkiLTL0AQxL00YFf2CrrNfk
    NZyMlip4KrdScaQx8vMS+F+uzgFc9CnYdSUFuHSJG1YD25oVy6eAnRwtfZlYjs7z
    Ngpauno39/qSiSzO1Az6OxyjVVHJ1mw=
    -----END EC PRIVATE KEY-----
    """
}
