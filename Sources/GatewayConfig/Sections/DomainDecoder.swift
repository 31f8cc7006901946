import GatewayCore

/// `domains`: host names and their base-path mappings onto APIs.
enum DomainDecoder {
    /// `apiNames` are the APIs in document order; a mapping names one of them.
    struct Decoded {
        var routes: [DomainRoute] = []
        /// Domains with their own certificate (custom-domain TLS), by domain name.
        var certificates: [(name: String, reference: TLSDecoder.CertificateReference)] = []
    }

    static func decode(_ node: Node?, apiNames: [String?]) -> Decoded? {
        guard let node else { return Decoded() }
        guard let items = node.array() else { return nil }
        let context = node.context
        let before = context.errorCount
        var seen: [String: Int] = [:]
        var decoded = Decoded()
        for (index, item) in items.enumerated() {
            guard let (domain, certificate) = decodeDomain(item, apiNames: apiNames) else { continue }
            if let earlier = seen[domain.name] {
                context.error(JSONPointer.appending(item.pointer, "name"),
                              "duplicate domain \"\(domain.name)\" (also at \(JSONPointer.appending(node.pointer, earlier)))")
                continue
            }
            seen[domain.name] = index
            decoded.routes.append(domain)
            if let certificate { decoded.certificates.append((domain.name, certificate)) }
        }
        return context.errorCount == before ? decoded : nil
    }

    static func decodeDomain(_ node: Node, apiNames: [String?]) -> (DomainRoute, TLSDecoder.CertificateReference?)? {
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        let context = node.context
        let before = context.errorCount
        var name: String?
        if let nameNode = reader.required("name"), let text = nameNode.string() {
            name = domainName(text)
            if name == nil {
                context.error(nameNode.pointer, "must be a hostname such as \"api.example.test\" or a wildcard such as \"*.example.test\" (got \"\(text)\")")
            }
        }
        let certificate = TLSDecoder.reference(in: reader, at: node, required: false)
        var mappings: [BasePathMapping] = []
        if let mappingsNode = reader.required("mappings"), let items = mappingsNode.array() {
            if items.isEmpty { context.error(mappingsNode.pointer, "must not be empty") }
            var seen: [String: Int] = [:]
            for (index, item) in items.enumerated() {
                guard let mapping = decodeMapping(item, apiNames: apiNames) else { continue }
                if let earlier = seen[mapping.basePath] {
                    context.error(JSONPointer.appending(item.pointer, "basePath"),
                                  "duplicate basePath \"\(mapping.basePath)\" (also at \(JSONPointer.appending(mappingsNode.pointer, earlier)))")
                    continue
                }
                seen[mapping.basePath] = index
                mappings.append(mapping)
            }
        }
        guard context.errorCount == before, let name else { return nil }
        return (DomainRoute(name: name, mappings: mappings), certificate)
    }

    /// Lowercased hostname or `*.` + hostname; nil when invalid.
    static func domainName(_ text: String) -> String? {
        let lowered = text.lowercased()
        let host = lowered.hasPrefix("*.") ? lowered.dropFirst(2) : lowered[...]
        guard NetworkSyntax.isHostname(host), !host.allSatisfy({ $0.isNumber || $0 == "." }) else { return nil }
        return lowered
    }

    static func decodeMapping(_ node: Node, apiNames: [String?]) -> BasePathMapping? {
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        let context = node.context
        var basePath: String? = "/"
        if let baseNode = reader.optional("basePath") {
            basePath = baseNode.string().flatMap { text in
                switch NetworkSyntax.normalizeBasePath(text) {
                case .success(let normalized): return normalized
                case .failure(let error):
                    context.error(baseNode.pointer, error.message)
                    return nil
                }
            }
        }
        var api: Int?
        if let apiNode = reader.required("api"), let name = apiNode.string() {
            api = apiNames.firstIndex(of: name)
            if api == nil { context.error(apiNode.pointer, "unknown API \"\(name)\"") }
        }
        guard let basePath, let api else { return nil }
        return BasePathMapping(basePath: basePath, api: api)
    }
}
