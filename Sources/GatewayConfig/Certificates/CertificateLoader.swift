import Foundation
import GatewayCore
import SwiftASN1
import X509

/// Reads a PEM certificate chain and its private key and checks them, so `portcullis check` and reloads catch bad
/// certificates (unreadable, expired, mismatched key, wrong names) before a TLS listener ever sees them.
public enum CertificateLoader {
    /// Certificates expiring sooner than this get a warning, so renewals are noticed while there is time.
    public static let expiryWarningInterval: TimeInterval = 30 * 86_400

    /// Reads and checks a PEM chain and its key. Errors: unreadable file, no certificate in the file, unparsable
    /// certificate or key, unsupported or too small key, key does not match the leaf certificate, certificate expired
    /// or not yet valid. Warning: the leaf expires within 30 days. `material` is nil exactly when there is an error.
    /// Relative paths are resolved against the current directory; `now` is injected for tests.
    public static func load(certificatePath: String, keyPath: String, now: Date)
        -> (material: CertificateMaterial?, problems: [CertificateProblem]) {
        let certificatePath = absolute(certificatePath)
        let keyPath = absolute(keyPath)
        var problems: [CertificateProblem] = []
        let chainText = read(certificatePath, onKey: false, into: &problems)
        let keyText = read(keyPath, onKey: true, into: &problems)

        var chain: [(certificate: Certificate, pem: String)] = []
        if let chainText {
            chain = parseChain(chainText, path: certificatePath, into: &problems)
        }
        var key: (key: Certificate.PrivateKey, pem: String)?
        if let keyText {
            key = parseKey(keyText, path: keyPath, into: &problems)
        }
        guard let leaf = chain.first?.certificate else { return (nil, problems) }

        if let rejection = CertificateKeyKind(leaf.publicKey).rejection {
            problems.append(.error("certificate: \(rejection)"))
        }
        if let key, key.key.publicKey != leaf.publicKey {
            problems.append(.error(
                "private key does not match the certificate (key is \(CertificateKeyKind(key.key.publicKey)), "
                    + "certificate is \(CertificateKeyKind(leaf.publicKey)))",
                onKey: true))
        }
        problems += validityProblems(notBefore: leaf.notValidBefore, notAfter: leaf.notValidAfter, now: now)
        problems += orderProblems(chain.map(\.certificate))

        guard let key, !problems.contains(where: { $0.severity == .error }) else { return (nil, problems) }
        let material = CertificateMaterial(
            certificatePath: certificatePath, keyPath: keyPath,
            chainPEM: chain.map(\.pem), privateKeyPEM: key.pem,
            dnsNames: CertificateNames.of(leaf),
            notBefore: leaf.notValidBefore, notAfter: leaf.notValidAfter)
        return (material, problems)
    }

    /// RFC 6125 matching: exact name (case-insensitive, trailing dot ignored), or a "*.example.test" SAN covering
    /// exactly one extra left-most label. IP hosts match IP SANs only, compared as addresses. A host that is itself a
    /// wildcard pattern (a wildcard domain in the config) is covered only by the same wildcard.
    public static func covers(_ dnsNames: [String], host: String) -> Bool {
        CertificateSelector.covers(dnsNames, host: host)
    }

    // MARK: - Steps

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return URL(fileURLWithPath: path).standardizedFileURL.path }
        let cwd = FileManager.default.currentDirectoryPath
        return URL(fileURLWithPath: cwd).appendingPathComponent(path).standardizedFileURL.path
    }

    private static func read(_ path: String, onKey: Bool, into problems: inout [CertificateProblem]) -> String? {
        let what = onKey ? "key" : "certificate"
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file"
            problems.append(.error("cannot read \(what) file \(path): \(reason)", onKey: onKey))
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            problems.append(.error("\(what) file \(path) is not PEM text", onKey: onKey))
            return nil
        }
        return text
    }

    /// The certificates of a CA bundle (PEM), for trusting an upstream: their count, or why none could be read.
    static func loadCABundle(_ path: String) -> Result<Int, MessageError> {
        var problems: [CertificateProblem] = []
        guard let text = read(path, onKey: false, into: &problems) else {
            return .failure(MessageError(problems.first?.message ?? "cannot read \(path)"))
        }
        let chain = parseChain(text, path: path, into: &problems)
        if let problem = problems.first { return .failure(MessageError(problem.message)) }
        return .success(chain.count)
    }

    private static func parseChain(_ text: String, path: String, into problems: inout [CertificateProblem])
        -> [(certificate: Certificate, pem: String)] {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            problems.append(.error("certificate file \(path) is not valid PEM: \(reason(error))"))
            return []
        }
        let blocks = documents.filter { $0.discriminator == "CERTIFICATE" }
        guard !blocks.isEmpty else {
            problems.append(.error("no certificate (-----BEGIN CERTIFICATE-----) in \(path)"))
            return []
        }
        var chain: [(certificate: Certificate, pem: String)] = []
        for (index, block) in blocks.enumerated() {
            do {
                chain.append((try Certificate(derEncoded: block.derBytes), block.pemString))
            } catch {
                let which = index == 0 ? "the certificate" : "chain certificate \(index + 1)"
                problems.append(.error("cannot parse \(which) in \(path): \(reason(error))"))
                return []
            }
        }
        return chain
    }

    private static func parseKey(_ text: String, path: String, into problems: inout [CertificateProblem])
        -> (key: Certificate.PrivateKey, pem: String)? {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            problems.append(.error("key file \(path) is not valid PEM: \(reason(error))", onKey: true))
            return nil
        }
        // "EC PARAMETERS" blocks (openssl ecparam -genkey) may precede the key; skip them.
        guard let block = documents.first(where: { $0.discriminator.hasSuffix("PRIVATE KEY") }) else {
            problems.append(.error("no private key (-----BEGIN PRIVATE KEY-----) in \(path)", onKey: true))
            return nil
        }
        if block.discriminator == "ENCRYPTED PRIVATE KEY" {
            problems.append(.error("private key in \(path) is encrypted; store it unencrypted with mode 0600",
                                   onKey: true))
            return nil
        }
        do {
            let key = try Certificate.PrivateKey(pemDocument: block)
            return (key, block.pemString)
        } catch {
            problems.append(.error("cannot parse the private key in \(path): \(reason(error))", onKey: true))
            return nil
        }
    }

    static func validityProblems(notBefore: Date, notAfter: Date, now: Date) -> [CertificateProblem] {
        if now < notBefore {
            return [.error("certificate is not valid before \(timestamp(notBefore))")]
        }
        if now > notAfter {
            let days = Int(now.timeIntervalSince(notAfter) / 86_400)
            return [.error("certificate expired \(dayCount(days)) ago (\(timestamp(notAfter)))")]
        }
        let remaining = notAfter.timeIntervalSince(now)
        if remaining < expiryWarningInterval {
            return [.warning("certificate expires in \(dayCount(Int(remaining / 86_400))) (\(timestamp(notAfter)))")]
        }
        return []
    }

    /// Clients need leaf first, then each issuer; a shuffled chain fails on some clients only, so warn early.
    static func orderProblems(_ chain: [Certificate]) -> [CertificateProblem] {
        var problems: [CertificateProblem] = []
        for index in chain.indices.dropFirst() where chain[index].subject != chain[index - 1].issuer {
            problems.append(.warning(
                "chain certificate \(index + 1) (\(chain[index].subject)) did not issue certificate \(index) "
                    + "(issued by \(chain[index - 1].issuer)); list the leaf first, then each issuer"))
        }
        return problems
    }

    private static func dayCount(_ days: Int) -> String {
        days == 0 ? "less than a day" : days == 1 ? "1 day" : "\(days) days"
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// Library errors print as type dumps; keep the human part when there is one.
    private static func reason(_ error: any Error) -> String {
        if let asn1 = error as? ASN1Error { return asn1.description }
        return String(describing: error)
    }
}
