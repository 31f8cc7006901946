import Foundation
import GatewayCore

/// `listen.https`, `tls` and domain `cert`/`key` → `TLSSettings`, with every certificate file read and checked
/// when the config compiles (so `check` and reload catch expired, mismatched or non-covering certificates).
enum TLSDecoder {
    /// A certificate/key pair as written in the config, with the pointers its diagnostics belong to.
    struct CertificateReference {
        let certificatePath: String
        let keyPath: String
        let certificatePointer: String
        let keyPointer: String
    }

    struct Section {
        var minimumVersion = TLSSettings.MinimumVersion.v1_2
        var http2 = true
        var defaults: [CertificateReference] = []
    }

    /// Whatever parsed, even when some of it had errors: certificate files are still checked, so one run
    /// reports every problem.
    static func decodeSection(_ node: Node?) -> Section {
        guard let node else { return Section() }
        guard let reader = node.object() else { return Section() }
        defer { reader.finish() }
        var section = Section()
        if let versionNode = reader.optional("minVersion"), let text = versionNode.string() {
            if let version = TLSSettings.MinimumVersion(rawValue: text) {
                section.minimumVersion = version
            } else {
                node.context.error(versionNode.pointer, "must be \"1.2\" or \"1.3\" (got \"\(text)\")")
            }
        }
        if let http2Node = reader.optional("http2"), let flag = http2Node.bool() {
            section.http2 = flag
        }
        if let listNode = reader.optional("certificates"), let items = listNode.array() {
            for item in items {
                if let reference = decodeReference(item) { section.defaults.append(reference) }
            }
        }
        return section
    }

    /// `{ "cert": PATH, "key": PATH }`, or the same two keys inside a domain object.
    static func decodeReference(_ node: Node) -> CertificateReference? {
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        return reference(in: reader, at: node, required: true)
    }

    /// Reads `cert` and `key` from an object that may hold other keys (a domain); both or neither.
    static func reference(in reader: ObjectReader, at node: Node, required: Bool) -> CertificateReference? {
        let certNode = reader.optional("cert")
        let keyNode = reader.optional("key")
        switch (certNode, keyNode) {
        case (nil, nil):
            if required { node.context.error(node.pointer, "missing required key \"cert\"") }
            return nil
        case (.some, nil):
            node.context.error(node.pointer, "missing required key \"key\" (\"cert\" needs its private key)")
            return nil
        case (nil, .some):
            node.context.error(node.pointer, "missing required key \"cert\" (\"key\" needs its certificate)")
            return nil
        case (let cert?, let key?):
            guard let certificatePath = cert.filePath(), let keyPath = key.filePath() else { return nil }
            return CertificateReference(certificatePath: certificatePath, keyPath: keyPath,
                                        certificatePointer: cert.pointer, keyPointer: key.pointer)
        }
    }

    /// Loads each distinct certificate once and builds the selector; nil (with diagnostics) on any error.
    /// `https` is nil when there is no HTTPS listener; `listenKnown` is false when `listen` itself had errors, so
    /// only the certificate files are checked.
    static func compile(https: ListenAddress?, listenKnown: Bool, httpsPointer: String, section: Section,
                        domains: [(name: String, reference: CertificateReference)], context: DecodeContext,
                        now: Date) -> TLSSettings? {
        let before = context.errorCount
        var certificates: [ServerCertificate] = []
        var indexByPaths: [String: Int] = [:]
        var materials: [Int: CertificateMaterial] = [:]

        func load(_ reference: CertificateReference) -> Int? {
            let key = reference.certificatePath + "\u{0}" + reference.keyPath
            if let index = indexByPaths[key] { return index }
            let (material, problems) = CertificateLoader.load(certificatePath: reference.certificatePath,
                                                              keyPath: reference.keyPath, now: now)
            for problem in problems {
                let pointer = problem.onKey ? reference.keyPointer : reference.certificatePointer
                if problem.severity == .error { context.error(pointer, problem.message) } else {
                    context.warning(pointer, problem.message)
                }
            }
            guard let material else { return nil }
            let index = certificates.count
            certificates.append(ServerCertificate(certificatePath: material.certificatePath, keyPath: material.keyPath,
                                                  chainPEM: material.chainPEM, privateKeyPEM: material.privateKeyPEM,
                                                  names: material.dnsNames))
            indexByPaths[key] = index
            materials[index] = material
            return index
        }

        var defaults: [(index: Int, names: [String])] = []
        for reference in section.defaults {
            if let index = load(reference) { defaults.append((index, certificates[index].names)) }
        }
        var domainCertificates: [(name: String, certificate: Int)] = []
        for (name, reference) in domains {
            guard let index = load(reference) else { continue }
            let names = certificates[index].names
            if !CertificateSelector.covers(names, host: name) {
                context.error(reference.certificatePointer,
                              "the certificate does not cover \"\(name)\" (it covers \(names.map { "\"\($0)\"" }.joined(separator: ", ")))")
                continue
            }
            domainCertificates.append((name, index))
        }
        guard listenKnown else { return nil }
        guard https != nil else {
            if !certificates.isEmpty {
                context.warning(httpsPointer, "certificates are configured but there is no HTTPS listener")
            }
            return nil
        }
        if certificates.isEmpty && context.errorCount == before {
            context.error(httpsPointer, "an HTTPS listener needs at least one certificate (in /tls/certificates or a domain's \"cert\")")
        }
        guard context.errorCount == before else { return nil }
        return TLSSettings(minimumVersion: section.minimumVersion, http2: section.http2, certificates: certificates,
                           selector: CertificateSelector(domains: domainCertificates, defaults: defaults))
    }
}
