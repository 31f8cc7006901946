import GatewayCore

/// `apis`: each API's name, base path and routes, compiled into a `CompiledAPI` with its route table.
enum APIDecoder {
    static let defaultTimeout = Duration.seconds(29)
    static let maxTimeout = Duration.seconds(15 * 60)
    static let unsupportedRouteKeys: [String] = []

    struct Decoded {
        /// Names in document order (nil where a name was invalid) so domains can resolve `api` references.
        var names: [String?]
        /// nil when any API had an error.
        var apis: [CompiledAPI]?
    }

    /// `schemas` is nil when `models` had errors: routes still decode (to report their own problems) but
    /// the config does not compile. `functions` and `queues` are what integrations may name (nil: not checked).
    static func decode(_ node: Node?, schemas: SchemaLibrary?, functions: FunctionCatalog?, queues: Set<String>?) -> Decoded {
        guard let node else {
            return Decoded(names: [], apis: [])
        }
        guard let items = node.array() else { return Decoded(names: [], apis: nil) }
        if items.isEmpty { node.context.warning(node.pointer, "no APIs are configured; every request will get 404") }
        var names: [String?] = []
        var firstIndex: [String: Int] = [:]
        var apis: [CompiledAPI] = []
        var ok = true
        for (index, item) in items.enumerated() {
            let (name, api) = decodeAPI(item, schemas: schemas, functions: functions, queues: queues)
            if let name {
                if let earlier = firstIndex[name] {
                    node.context.error(JSONPointer.appending(item.pointer, "name"),
                                       "duplicate API name \"\(name)\" (also at \(JSONPointer.appending(node.pointer, earlier)))")
                    ok = false
                } else {
                    firstIndex[name] = index
                }
            }
            names.append(name)
            if let api { apis.append(api) } else { ok = false }
        }
        return Decoded(names: names, apis: ok ? apis : nil)
    }

    static func decodeAPI(_ node: Node, schemas: SchemaLibrary?, functions: FunctionCatalog?,
                          queues: Set<String>?) -> (name: String?, api: CompiledAPI?) {
        guard let reader = node.object() else { return (nil, nil) }
        defer { reader.finish() }
        let context = node.context
        let before = context.errorCount
        let name = reader.required("name")?.nonEmptyString()
        var basePath = "/"
        if let baseNode = reader.optional("basePath"), let text = baseNode.string() {
            switch NetworkSyntax.normalizeBasePath(text) {
            case .success(let normalized): basePath = normalized
            case .failure(let error): context.error(baseNode.pointer, error.message)
            }
        }
        let throttle = reader.optional("throttle").flatMap(ThrottleDecoder.decode)
        var routes: [CompiledRoute?] = []
        if let routesNode = reader.required("routes"), let items = routesNode.array() {
            if items.isEmpty { context.warning(routesNode.pointer, "API \"\(name ?? "")\" has no routes; every request to it will get 404") }
            let decoded = items.map { decodeRoute($0, schemas: schemas, functions: functions, queues: queues) }
            routes = decoded.map(\.route)
            checkConflicts(decoded.map(\.key), items: items)
        }
        guard context.errorCount == before, let name else { return (name, nil) }
        let compiled = routes.compactMap { $0 }
        guard let table = try? RouteTable(keys: compiled.map(\.key)) else { return (name, nil) }
        return (name, CompiledAPI(name: name, basePath: basePath, routes: compiled, routeTable: table, throttle: throttle))
    }

    /// Builds a table from the routes that decoded, mapping conflict indices back to their pointers.
    /// Keys of routes with other errors still take part, so a conflict is reported in the same run.
    static func checkConflicts(_ keys: [RouteKey?], items: [Node]) {
        let keyed: [(index: Int, key: RouteKey)] = zip(keys.indices, keys).compactMap { i, key in key.map { (i, $0) } }
        var remaining = keyed
        // Report every conflict: drop the second route of each and try again.
        while !remaining.isEmpty {
            do {
                _ = try RouteTable(keys: remaining.map(\.key))
                return
            } catch {
                guard remaining.indices.contains(error.second) else { return }
                let second = remaining[error.second].index
                items[second].context.error(JSONPointer.appending(items[second].pointer, "route"), error.message)
                remaining.remove(at: error.second)
            }
        }
    }

    static func decodeRoute(_ node: Node, schemas: SchemaLibrary?, functions: FunctionCatalog?,
                            queues: Set<String>?) -> (key: RouteKey?, route: CompiledRoute?) {
        guard let reader = node.object() else { return (nil, nil) }
        defer { reader.finish() }
        let context = node.context
        let before = context.errorCount
        var key: RouteKey?
        if let keyNode = reader.required("route"), let text = keyNode.string() {
            switch RouteKey.parse(text) {
            case .success(let parsed): key = parsed
            case .failure(let error): context.error(keyNode.pointer, error.message)
            }
        }
        let integration = reader.required("integration").flatMap {
            IntegrationDecoder.decode($0, routeKey: key, functions: functions, queues: queues)
        }
        let timeout = reader.optional("timeout").map { $0.duration(max: maxTimeout) } ?? defaultTimeout
        let validation = reader.optional("validate").map { ValidationDecoder.decode($0, routeKey: key, library: schemas) }
        let apiKeyRequired = reader.optional("apiKeyRequired").map { $0.bool() ?? false } ?? false
        let throttle = reader.optional("throttle").flatMap(ThrottleDecoder.decode)
        let cache = reader.optional("cache").map { CacheDecoder.decodeRoute($0, routeKey: key, apiKeyRequired: apiKeyRequired) }
        let idempotencyHeader = reader.optional("idempotencyKey").flatMap { decodeIdempotencyKey($0, integration: integration) }
        reader.rejectUnsupported(unsupportedRouteKeys)
        guard context.errorCount == before, let key, let integration, let timeout else { return (key, nil) }
        if let validation, validation == nil { return (key, nil) }
        if let cache, cache == nil { return (key, nil) }
        // A ttl of 0 turns caching off for the route.
        let cachePolicy = (cache ?? nil).flatMap { $0.ttlSeconds > 0 ? $0 : nil }
        return (key, CompiledRoute(key: key, integration: integration, timeout: timeout, validation: validation ?? nil,
                                   apiKeyRequired: apiKeyRequired, throttle: throttle, cache: cachePolicy,
                                   idempotencyHeader: idempotencyHeader))
    }

    /// `"header.NAME"` on a route that answers 202 (a `queue`, or a `function` with `"invocationType": "Event"`).
    static func decodeIdempotencyKey(_ node: Node, integration: Integration?) -> String? {
        guard let text = node.string() else { return nil }
        let name = text.hasPrefix("header.") ? String(text.dropFirst("header.".count)).lowercased() : ""
        guard !name.isEmpty, HTTPToken.isToken(name) else {
            node.context.error(node.pointer, "must be \"header.NAME\" with NAME a header field name (got \"\(text)\")")
            return nil
        }
        switch integration {
        case .queue?: break
        case .function(let function)? where function.invocationType == .event: break
        case nil: break  // the integration's own error is reported
        default:
            node.context.error(node.pointer, "applies to routes that answer 202: a \"queue\" integration, or a \"function\" with \"invocationType\": \"Event\"")
            return nil
        }
        return name
    }
}
