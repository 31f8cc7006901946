import Crypto
import Foundation
import SwiftASN1
import X509

/// A local development CA kept in a directory (`certs/`), so developers trust one root once and then mint
/// certificates for any local name without a public CA or openssl incantations. Never for production.
public enum DevCertificateAuthority {
    public static let caCertificateFileName = "portcullis-dev-ca.crt"
    public static let caKeyFileName = "portcullis-dev-ca.key"
    public static let caCommonName = "Portcullis Development CA"
    /// Ten years: the CA is trusted once per machine and should outlive many leaves.
    static let caValidity: TimeInterval = 3650 * 86_400
    /// 825 days is the longest validity Apple platforms accept for TLS server certificates.
    static let leafValidity: TimeInterval = 825 * 86_400
    /// Backdating absorbs small clock differences between the machine that issues and the one that verifies.
    static let backdate: TimeInterval = 3600

    /// Creates the CA in `directory` if absent, then issues a leaf for `names` (first name gives the file name and
    /// CN; IPs become iPAddress SANs) written as `<first>.crt` (leaf + CA) and `<first>.key` (mode 0600).
    public static func issue(names: [String], directory: String, now: Date = Date()) throws -> DevCertificateFiles {
        guard !names.isEmpty else { throw DevCertificateError.noNames }
        var parsed: [DevCertificateName] = []
        for name in names {
            let next = try DevCertificateName(name)
            if !parsed.contains(next) { parsed.append(next) }
        }
        let directory = CertificateLoader.absolute(directory)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw DevCertificateError.writeFailed(path: directory, reason: "\(error.localizedDescription)")
        }
        let ca = try loadOrCreateCA(directory: directory, now: now)
        guard ca.certificate.notValidAfter > now else {
            throw DevCertificateError.caExpired(
                path: ca.certificatePath, notAfter: CertificateLoader.timestamp(ca.certificate.notValidAfter))
        }

        let leafKey = P256.Signing.PrivateKey()
        let leafPublicKey = Certificate.PrivateKey(leafKey).publicKey
        let notBefore = now.addingTimeInterval(-backdate)
        // A leaf outliving its CA would fail verification early anyway; say so in its own dates.
        let notAfter = min(notBefore.addingTimeInterval(leafValidity), ca.certificate.notValidAfter)
        let leaf: Certificate
        let leafPEM: String
        do {
            let caKeyIdentifier = SubjectKeyIdentifier(hash: ca.certificate.publicKey).keyIdentifier
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(parsed.map(\.generalName))
                SubjectKeyIdentifier(hash: leafPublicKey)
                AuthorityKeyIdentifier(keyIdentifier: caKeyIdentifier)
            }
            leaf = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: leafPublicKey,
                notValidBefore: notBefore, notValidAfter: notAfter,
                issuer: ca.certificate.subject,
                subject: try DistinguishedName { CommonName(parsed[0].text) },
                signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
                issuerPrivateKey: ca.key)
            leafPEM = try leaf.serializeAsPEM().pemString
        } catch {
            throw DevCertificateError.signingFailed(reason: "\(error)")
        }

        let stem = parsed[0].fileStem
        let certificatePath = directory + "/" + stem + ".crt"
        let keyPath = directory + "/" + stem + ".key"
        try SecureFileWriter.write(leafKey.pemRepresentation + "\n", to: keyPath, mode: 0o600)
        try SecureFileWriter.write(leafPEM + "\n" + ca.pem + "\n", to: certificatePath, mode: 0o644)
        return DevCertificateFiles(
            caCertificatePath: ca.certificatePath, caKeyPath: ca.keyPath, createdCA: ca.created,
            certificatePath: certificatePath, keyPath: keyPath, names: parsed.map(\.text), notAfter: notAfter)
    }

    struct LoadedCA {
        let certificate: Certificate
        let pem: String
        let key: Certificate.PrivateKey
        let certificatePath: String
        let keyPath: String
        let created: Bool
    }

    /// Reuses an existing CA (both files, matching) or creates one; a half-present CA is an error, never replaced.
    static func loadOrCreateCA(directory: String, now: Date) throws -> LoadedCA {
        let certificatePath = directory + "/" + caCertificateFileName
        let keyPath = directory + "/" + caKeyFileName
        let files = FileManager.default
        switch (files.fileExists(atPath: certificatePath), files.fileExists(atPath: keyPath)) {
        case (true, true):
            return try loadCA(certificatePath: certificatePath, keyPath: keyPath)
        case (true, false):
            throw DevCertificateError.incompleteCA(present: certificatePath, missing: keyPath)
        case (false, true):
            throw DevCertificateError.incompleteCA(present: keyPath, missing: certificatePath)
        case (false, false):
            break
        }

        let key = P256.Signing.PrivateKey()
        let privateKey = Certificate.PrivateKey(key)
        let notBefore = now.addingTimeInterval(-backdate)
        let certificate: Certificate
        let pem: String
        do {
            let name = try DistinguishedName { CommonName(caCommonName) }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: privateKey.publicKey)
            }
            certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: privateKey.publicKey,
                notValidBefore: notBefore, notValidAfter: notBefore.addingTimeInterval(caValidity),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions, issuerPrivateKey: privateKey)
            pem = try certificate.serializeAsPEM().pemString
        } catch {
            throw DevCertificateError.signingFailed(reason: "CA: \(error)")
        }
        // Key first: a crash in between leaves a lone key, which the next run reports instead of trusting blindly.
        try SecureFileWriter.write(key.pemRepresentation + "\n", to: keyPath, mode: 0o600)
        try SecureFileWriter.write(pem + "\n", to: certificatePath, mode: 0o644)
        return LoadedCA(certificate: certificate, pem: pem, key: privateKey,
                        certificatePath: certificatePath, keyPath: keyPath, created: true)
    }

    private static func loadCA(certificatePath: String, keyPath: String) throws -> LoadedCA {
        func text(_ path: String) throws -> String {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
            else { throw DevCertificateError.unreadableCA(path: path, reason: "not readable") }
            return text
        }
        let certificate: Certificate
        let pem: String
        do {
            let document = try PEMDocument(pemString: try text(certificatePath))
            certificate = try Certificate(pemDocument: document)
            pem = document.pemString
        } catch let error as DevCertificateError {
            throw error
        } catch {
            throw DevCertificateError.unreadableCA(path: certificatePath, reason: "not a PEM certificate (\(error))")
        }
        let key: Certificate.PrivateKey
        do {
            key = try Certificate.PrivateKey(pemEncoded: try text(keyPath))
        } catch let error as DevCertificateError {
            throw error
        } catch {
            throw DevCertificateError.unreadableCA(path: keyPath, reason: "not a PEM private key (\(error))")
        }
        guard key.publicKey == certificate.publicKey else {
            throw DevCertificateError.caKeyMismatch(certificatePath: certificatePath, keyPath: keyPath)
        }
        return LoadedCA(certificate: certificate, pem: pem, key: key,
                        certificatePath: certificatePath, keyPath: keyPath, created: false)
    }
}
