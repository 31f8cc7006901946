import NIOHTTP1

/// A miss the edge may fill: where the response goes if it turns out cacheable, and under which key.
/// Set by the cache stage on the request; the edge decides from the response head and stores on its end.
public final class CacheFill: Sendable {
    public let store: any ResponseCacheStore
    public let key: CacheKey
    public let ttlSeconds: Int
    public let tag: CacheTag
    public let maxEntrySize: Int
    /// The request's headers, for the variant key once the response names its `Vary`.
    public let requestHeaders: HTTPHeaders
    /// Held by the miss that fetches for concurrent misses of the same key; nil for a waiter sent on its own.
    public let lease: FillLease?
    /// The request carried `Authorization`: its response is stored only if it says a shared cache may.
    public let authorized: Bool

    public init(store: any ResponseCacheStore, key: CacheKey, ttlSeconds: Int, tag: CacheTag, maxEntrySize: Int,
                requestHeaders: HTTPHeaders, lease: FillLease? = nil) {
        self.lease = lease
        self.authorized = requestHeaders.contains(name: "authorization")
        self.store = store
        self.key = key
        self.ttlSeconds = ttlSeconds
        self.tag = tag
        self.maxEntrySize = maxEntrySize
        self.requestHeaders = requestHeaders
    }

    /// The fill is over (stored, not cacheable, failed or abandoned): waiters look again. Idempotent.
    public func finish() {
        lease?.release()
    }
}

/// What the cache did for a request: the access log's `cache` field.
public enum CacheOutcome: String, Sendable, Equatable {
    case hit
    case miss
    case bypass
}

/// The `Cache-Status` field (RFC 9211) for the gateway's cache, named `Portcullis`.
public enum CacheStatusField {
    public static let name = "cache-status"
    /// What a hit's value starts with; the TTL in seconds follows (HTTP/1.1 heads write it as digits in place).
    public static let hitPrefix: StaticString = "Portcullis; hit; ttl="
    public static func hit(ttl: Int64) -> String { hitPrefix.description + String(ttl) }
    public static let miss = "Portcullis; fwd=miss"
    public static let missStored = "Portcullis; fwd=miss; stored"
    /// The client asked for a fresh copy and the route allows it.
    public static let refresh = "Portcullis; fwd=request"
    public static let refreshStored = "Portcullis; fwd=request; stored"
    /// A method the cache does not answer (everything but GET and HEAD).
    public static let method = "Portcullis; fwd=method"
}

/// How fresh a hit is: its `Cache-Status` `ttl` and its `Age`, in whole seconds.
public struct CacheFreshness: Sendable, Equatable {
    public let ttl: Int64
    public let age: Int64

    public init(ttl: Int64, age: Int64) {
        self.ttl = ttl
        self.age = age
    }
}
