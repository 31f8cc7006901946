import NIOCore
import NIOHTTP1

/// Per-route TTL caching of GET responses (contract: route `cache`), after validation and before the integration.
/// A fresh entry answers here (HEAD from the GET entry; `If-None-Match` / `If-Modified-Since` that match get 304);
/// a miss is marked for the edge to store the response on its way out if it is cacheable. Every response of a
/// cached route carries `Cache-Status`.
public struct CacheStage: RequestStage {
    let store: any ResponseCacheStore
    let coalescer: FillCoalescer
    let clock: any GatewayClock
    let maxEntrySize: Int
    /// API names, by index, for keys and flush tags.
    let apiNames: [String]
    /// Per API, per route: the key's API and route fields, built once.
    let routePrefixes: [[[UInt8]]]

    public init(store: any ResponseCacheStore, coalescer: FillCoalescer, clock: any GatewayClock, maxEntrySize: Int,
                apis: [CompiledAPI]) {
        let apiNames = apis.map(\.name)
        routePrefixes = apis.map { api in api.routes.map { CacheKey.routePrefix(api: api.name, route: $0.keyText) } }
        self.store = store
        self.coalescer = coalescer
        self.clock = clock
        self.maxEntrySize = maxEntrySize
        self.apiNames = apiNames
    }

    public var name: String { "cache" }

    public func evaluate(_ request: inout RequestContext) -> StageVerdict {
        guard let route = request.route, let policy = route.cache else { return .next }
        // Run again after waiting for another request's fill of the same key.
        let waited = request.operationResult != nil
        request.operationResult = nil
        let method = request.method
        guard method == .GET || method == .HEAD else {
            request.cacheOutcome = .bypass
            request.responseHeaders.append((CacheStatusField.name, CacheStatusField.method))
            return .next
        }
        let headers = request.head.headers
        let key = CacheKey.make(host: request.host, routePrefix: routePrefixes[request.apiIndex][request.routeIndex],
                                path: request.path, query: request.query, headers: headers, policy: policy,
                                apiKeyName: request.apiKey?.name)
        // The client's Cache-Control is read only where the route lets it matter.
        let refresh = policy.invalidation != .ignore && Self.allowsRefresh(policy.invalidation, request)
            && Self.clientWantsRefresh(headers)
        let now = clock.now()
        if !refresh, let hit = store.lookup(key, requestHeaders: headers, now: now) {
            request.cacheOutcome = .hit
            var answer = Self.answer(hit, request: request)
            answer.cacheFreshness = CacheFreshness(ttl: hit.remainingTTL(at: now), age: hit.age(at: now))
            return .respond(answer)
        }
        // A HEAD miss is forwarded as HEAD: its response has no body to keep.
        if method == .GET {
            var lease: FillLease?
            // One request fetches a key at a time; the others wait for it and look again. A waiter that still
            // misses (the response was not cacheable, or is another variant) is sent on its own.
            if !refresh && !waited {
                switch coalescer.join(key) {
                case .lead(let claimed):
                    lease = claimed
                case .wait(let waiter):
                    return .suspend(waiter)
                }
            }
            request.cacheFill = CacheFill(store: store, key: key, ttlSeconds: policy.ttlSeconds,
                                          tag: CacheTag(api: apiNames[request.apiIndex], route: route.keyText),
                                          maxEntrySize: maxEntrySize, requestHeaders: headers, lease: lease)
        }
        request.cacheOutcome = .miss
        request.responseHeaders.append((CacheStatusField.name, refresh ? CacheStatusField.refresh : CacheStatusField.miss))
        return .next
    }

    /// `Cache-Control: no-cache` or `max-age=0` from the client.
    static func clientWantsRefresh(_ headers: HTTPHeaders) -> Bool {
        for value in headers[canonicalForm: "cache-control"] {
            let directive = value.trimmingASCIIWhitespace()
            if directive.equalsASCIICaseInsensitive("no-cache") { return true }
            if let equals = directive.firstIndex(of: "="),
               directive[..<equals].trimmingASCIIWhitespace().equalsASCIICaseInsensitive("max-age"),
               let seconds = Int(directive[directive.index(after: equals)...].trimmingASCIIWhitespace()), seconds == 0 {
                return true
            }
        }
        return false
    }

    static func allowsRefresh(_ invalidation: RouteCachePolicy.Invalidation, _ request: RequestContext) -> Bool {
        switch invalidation {
        case .ignore: false
        case .allow: true
        // The key stage already refused a missing, unknown or disabled key on this route.
        case .apiKey: request.apiKey != nil
        }
    }

    /// The stored response, or 304 when the request's validators match it.
    /// The stored fields and body go out as they are (shared, not copied); the caller adds `Cache-Status` and `Age`.
    static func answer(_ hit: CachedResponse, request: RequestContext) -> GatewayAnswer {
        if hasValidators(request.head.headers) && notModified(hit, request.head.headers) {
            let kept = hit.headers.filter { name, _ in
                ["etag", "cache-control", "expires", "vary", "content-location", "date", "last-modified"]
                    .contains { name.equalsASCIICaseInsensitive($0) }
            }
            var answer = GatewayAnswer(status: 304, headers: kept, body: [])
            answer.omitsContentLength = true
            return answer
        }
        var answer = GatewayAnswer(status: hit.status, headers: hit.headers, body: [])
        answer.bodyBuffer = hit.body
        answer.fieldLines = hit.fieldLines
        return answer
    }

    /// One pass over the names: most requests carry neither validator.
    static func hasValidators(_ headers: HTTPHeaders) -> Bool {
        headers.contains { name, _ in
            (name.utf8.count == 13 && name.equalsASCIICaseInsensitive("if-none-match"))
                || (name.utf8.count == 17 && name.equalsASCIICaseInsensitive("if-modified-since"))
        }
    }

    /// RFC 9110 §13.1: `If-None-Match` (weak comparison) decides when present; otherwise `If-Modified-Since`
    /// matches when the stored `Last-Modified` is the same date or earlier.
    static func notModified(_ hit: CachedResponse, _ headers: HTTPHeaders) -> Bool {
        let noneMatch = headers[canonicalForm: "if-none-match"]
        if !noneMatch.isEmpty {
            guard let etag = hit.etag else { return false }
            let stored = weak(etag)
            return noneMatch.contains { $0.trimmingASCIIWhitespace() == "*" || weak(Substring($0)) == stored }
        }
        guard let since = headers.first(name: "if-modified-since").flatMap(HTTPDate.parse),
              let modified = hit.lastModified.flatMap(HTTPDate.parse) else { return false }
        return modified <= since
    }

    private static func weak(_ tag: Substring) -> Substring {
        let trimmed = tag.trimmingASCIIWhitespace()
        return trimmed.hasPrefix("W/") ? trimmed.dropFirst(2) : trimmed
    }

    private static func weak(_ tag: String) -> Substring { weak(Substring(tag)) }
}
