import GatewayCore

/// A route's `integration`: where the request goes (`http`, `function`, `queue`) or what is answered (`mock`).
enum IntegrationDecoder {
    static let types = ["http", "mock", "function", "queue"]

    /// `routeKey` is nil when the route key itself was invalid; path-template checks are skipped then.
    /// `functions` (`queues`) is nil when the `functions` (`queues`) section had errors (a name is then not checked
    /// against it).
    static func decode(_ node: Node, routeKey: RouteKey?, functions: FunctionCatalog?, queues: Set<String>?) -> Integration? {
        guard let reader = node.object() else { return nil }
        guard let typeNode = reader.required("type"), let type = typeNode.string() else { return nil }
        switch type {
        case "http":
            defer { reader.finish() }
            return decodeHTTP(reader, routeKey: routeKey).map(Integration.http)
        case "mock":
            defer { reader.finish() }
            return decodeMock(reader).map(Integration.mock)
        case "function":
            defer { reader.finish() }
            return decodeFunction(reader, functions: functions).map(Integration.function)
        case "queue":
            defer { reader.finish() }
            return decodeQueue(reader, queues: queues).map(Integration.queue)
        default:
            // Unknown keys are not reported: without a valid type we cannot know which keys belong.
            node.context.error(typeNode.pointer,
                               "must be one of \"http\", \"mock\", \"function\" or \"queue\" (got \"\(type)\")")
            return nil
        }
    }

    static func decodeFunction(_ reader: ObjectReader, functions: FunctionCatalog?) -> FunctionIntegration? {
        let context = reader.context
        let before = context.errorCount
        var integration: FunctionIntegration?
        var invocationType = FunctionIntegration.InvocationType.requestResponse
        if let typeNode = reader.optional("invocationType"), let text = typeNode.string() {
            if let type = FunctionIntegration.InvocationType(rawValue: text) {
                invocationType = type
            } else {
                context.error(typeNode.pointer, "must be \"RequestResponse\" or \"Event\" (got \"\(text)\")")
            }
        }
        if let nameNode = reader.required("function"), let name = nameNode.string() {
            if let entry = functions?.byName[name] {
                integration = FunctionIntegration(functionName: name, functionIndex: entry.index,
                                                  payloadFormat: entry.payloadFormat, invocationType: invocationType)
            } else if let functions {
                let hint = KeySuggestion.hint(for: name, among: functions.byName.keys.sorted(), none: "; \"functions\" defines none")
                context.error(nameNode.pointer, "no function named \"\(name)\"\(hint)")
            }
        }
        guard context.errorCount == before else { return nil }
        return integration
    }

    /// `queue`: the name of a queue of the `queues` section.
    static func decodeQueue(_ reader: ObjectReader, queues: Set<String>?) -> QueueIntegration? {
        guard let nameNode = reader.required("queue"), let name = nameNode.string() else { return nil }
        if let queues, !queues.contains(name) {
            let hint = KeySuggestion.hint(for: name, among: queues.sorted(), none: "; \"queues\" defines none")
            reader.context.error(nameNode.pointer, "no queue named \"\(name)\"\(hint)")
            return nil
        }
        return QueueIntegration(queue: name)
    }

    static func decodeHTTP(_ reader: ObjectReader, routeKey: RouteKey?) -> HTTPIntegration? {
        let context = reader.context
        let before = context.errorCount
        let urlNode = reader.optional("url")
        let targetsNode = reader.optional("targets")
        let caNode = reader.optional("caFile")
        let caFile = caNode.flatMap(caFilePath)
        var targets: [UpstreamTarget] = []
        switch (urlNode, targetsNode) {
        case (nil, nil):
            context.error(reader.pointer, "missing required key \"url\" (or \"targets\")")
        case (.some, .some):
            context.error(reader.pointer, "use either \"url\" or \"targets\", not both")
        case (let url?, nil):
            if let target = upstream(url, caFile: caFile) { targets = [target] }
        case (nil, let list?):
            if let items = list.array() {
                if items.isEmpty { context.error(list.pointer, "must not be empty") }
                targets = items.compactMap { upstream($0, caFile: caFile) }
            }
        }
        if let caNode, !targets.isEmpty, targets.allSatisfy({ $0.tls == nil }) {
            context.error(caNode.pointer, "applies to https:// upstreams only")
        }
        var template: PathTemplate?
        if let pathNode = reader.optional("path"), let text = pathNode.string() {
            template = pathTemplate(text, node: pathNode, routeKey: routeKey)
        }
        guard context.errorCount == before else { return nil }
        return HTTPIntegration(targets: targets, pathTemplate: template)
    }

    static func upstream(_ node: Node, caFile: String? = nil) -> UpstreamTarget? {
        guard let text = node.string() else { return nil }
        switch NetworkSyntax.parseUpstreamURL(text, caFile: caFile) {
        case .success(let target): return target
        case .failure(let error):
            node.context.error(node.pointer, error.message)
            return nil
        }
    }

    /// A readable PEM file of CA certificates: checked now, so a typo is a config error and not a failing request.
    static func caFilePath(_ node: Node) -> String? {
        guard let path = node.filePath() else { return nil }
        switch CertificateLoader.loadCABundle(path) {
        case .success:
            return path
        case .failure(let error):
            node.context.error(node.pointer, error.message)
            return nil
        }
    }

    /// "/internal/orders/{id}"; `{proxy}` (or `{proxy+}`) names the route's greedy parameter.
    static func pathTemplate(_ text: String, node: Node, routeKey: RouteKey?) -> PathTemplate? {
        guard text.hasPrefix("/") else {
            node.context.error(node.pointer, "must start with \"/\" (got \"\(text)\")")
            return nil
        }
        var parts: [PathTemplate.Part] = []
        var literal = ""
        var rest = text[...]
        while let c = rest.first {
            rest = rest.dropFirst()
            if c == "{" {
                guard let close = rest.firstIndex(of: "}") else {
                    node.context.error(node.pointer, "unclosed \"{\" in path template \"\(text)\"")
                    return nil
                }
                var name = String(rest[..<close])
                if name.hasSuffix("+") { name.removeLast() }
                guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }) else {
                    node.context.error(node.pointer, "invalid parameter name \"\(rest[..<close])\" in path template \"\(text)\"")
                    return nil
                }
                if !literal.isEmpty { parts.append(.literal(literal)) }
                literal = ""
                parts.append(.parameter(name))
                rest = rest[rest.index(after: close)...]
            } else if c == "}" || !NetworkSyntax.isPathCharacter(c) {
                node.context.error(node.pointer, "invalid character \"\(c)\" in path template \"\(text)\"")
                return nil
            } else {
                literal.append(c)
            }
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        if let routeKey {
            let available = Set(routeKey.segments.compactMap { segment -> String? in
                switch segment {
                case .parameter(let n), .greedy(let n): return n
                case .literal: return nil
                }
            })
            var ok = true
            for case .parameter(let name) in parts where !available.contains(name) {
                node.context.error(node.pointer, "path parameter \"\(name)\" is not in the route key \"\(routeKey)\"")
                ok = false
            }
            if !ok { return nil }
        }
        return PathTemplate(parts: parts)
    }

    static func decodeMock(_ reader: ObjectReader) -> MockIntegration? {
        let context = reader.context
        let before = context.errorCount
        let status = reader.optional("status").map { $0.int(in: 100...599) } ?? 200
        var headers: [(name: String, value: String)] = []
        if let headersNode = reader.optional("headers"), let object = headersNode.object() {
            var seen: [String: String] = [:]
            for member in object.object.members {
                let node = Node(value: member.value, pointer: object.pointer(of: member.key), context: context)
                guard HTTPToken.isToken(member.key) else {
                    context.error(node.pointer, "invalid header name \"\(member.key)\"")
                    continue
                }
                if let earlier = seen[member.key.lowercased()] {
                    context.error(node.pointer, "duplicate header \"\(member.key)\" (also \"\(earlier)\"; header names are case-insensitive)")
                    continue
                }
                seen[member.key.lowercased()] = member.key
                guard let value = node.string() else { continue }
                if value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) {
                    context.error(node.pointer, "header value must not contain CR, LF or NUL")
                    continue
                }
                headers.append((member.key, value))
            }
        }
        var body: [UInt8] = []
        if let bodyNode = reader.optional("body"), let expanded = bodyNode.expandedValue() {
            let hasContentType = headers.contains { $0.name.lowercased() == "content-type" }
            if case .string(let text) = expanded {
                body = Array(text.utf8)
                if !hasContentType { headers.append(("content-type", "text/plain; charset=utf-8")) }
            } else {
                body = expanded.serialized()
                if !hasContentType { headers.append(("content-type", "application/json")) }
            }
            if let status, status < 200 || status == 204 || status == 304 {
                context.error(bodyNode.pointer, "a \(status) response cannot have a body")
            }
        }
        guard context.errorCount == before, let status else { return nil }
        return MockIntegration(status: status, headers: headers, body: body)
    }
}
