import GatewayCore

/// The top-level `cache` (store size, largest entry) and a route's `cache` (ttl, key parameters, per-key entries,
/// what a client's `no-cache` may do).
enum CacheDecoder {
    static let capacityRange = 1024...(64 * 1024 * 1024 * 1024)

    static func decodeSettings(_ node: Node?) -> CacheSettings? {
        guard let node else { return CacheSettings() }
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        let before = node.context.errorCount
        let capacity = reader.optional("capacity")?.size(in: capacityRange) ?? CacheSettings.defaultCapacity
        var maxEntrySize = CacheSettings.defaultMaxEntrySize
        if let entryNode = reader.optional("maxEntrySize"), let size = entryNode.size(in: 1...capacityRange.upperBound) {
            if size > capacity {
                node.context.error(entryNode.pointer, "must not exceed the cache's capacity (\(SizeSyntax.format(capacity)))")
            }
            maxEntrySize = size
        }
        guard node.context.errorCount == before else { return nil }
        return CacheSettings(capacity: capacity, maxEntrySize: min(maxEntrySize, capacity))
    }

    /// `routeKey` is nil when the route's own key had an error. `apiKeyRequired` says whether the route knows the
    /// caller's key, which `perApiKey` and `"invalidation": "apiKey"` need.
    static func decodeRoute(_ node: Node, routeKey: RouteKey?, apiKeyRequired: Bool) -> RouteCachePolicy? {
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        let context = node.context
        let before = context.errorCount
        if let routeKey, routeKey.method != .get, routeKey.method != .any {
            context.error(node.pointer, "only GET responses are cached; \(routeKey) is not a GET route")
        }
        let ttl = reader.required("ttl")?.int(in: 0...RouteCachePolicy.maxTTLSeconds)
        var parameters: [RouteCachePolicy.KeyParameter] = []
        if let listNode = reader.optional("keyParameters"), let items = listNode.array() {
            for item in items {
                guard let text = item.string() else { continue }
                if text.hasPrefix("query."), text.count > 6 {
                    parameters.append(.query(String(text.dropFirst(6))))
                } else if text.hasPrefix("header."), text.count > 7, HTTPToken.isToken(text.dropFirst(7)) {
                    parameters.append(.header(text.dropFirst(7).lowercased()))
                } else {
                    context.error(item.pointer, "must be \"query.NAME\" or \"header.NAME\" (got \"\(text)\")")
                }
            }
        }
        let perApiKey = reader.optional("perApiKey").map { $0.bool() ?? false } ?? false
        if perApiKey && !apiKeyRequired {
            context.error(reader.pointer(of: "perApiKey"), "needs \"apiKeyRequired\": true on the route (the key is only known there)")
        }
        var invalidation = RouteCachePolicy.Invalidation.ignore
        if let invalidationNode = reader.optional("invalidation"), let text = invalidationNode.string() {
            if let value = RouteCachePolicy.Invalidation(rawValue: text) {
                invalidation = value
                if value == .apiKey && !apiKeyRequired {
                    context.error(invalidationNode.pointer, "\"apiKey\" needs \"apiKeyRequired\": true on the route")
                }
            } else {
                context.error(invalidationNode.pointer, "must be \"ignore\", \"allow\" or \"apiKey\" (got \"\(text)\")")
            }
        }
        guard context.errorCount == before, let ttl else { return nil }
        return RouteCachePolicy(ttlSeconds: ttl, keyParameters: parameters, perApiKey: perApiKey, invalidation: invalidation)
    }
}
