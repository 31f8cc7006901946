import NIOHTTP1

/// Where cached responses live: in this process (`MemoryCacheStore`); a shared store for a fleet can be added
/// behind the same protocol.
public protocol ResponseCacheStore: Sendable {
    /// The fresh entry for `key` and this request's headers (the entry's `Vary` picks the variant), or nil.
    func lookup(_ key: CacheKey, requestHeaders: HTTPHeaders, now: EpochNanoseconds) -> CachedResponse?
    /// Stores `response` for `key`; `vary` names the request headers that select among variants. Returns false when
    /// it was not stored (larger than an entry may be).
    @discardableResult
    func store(_ key: CacheKey, vary: [String], requestHeaders: HTTPHeaders,
               response: CachedResponse, tag: CacheTag, now: EpochNanoseconds) -> Bool
    /// Removes every entry of `api` (and of `route` within it, when given); all entries when `api` is nil.
    /// Returns how many were removed.
    @discardableResult
    func flush(api: String?, route: String?) -> Int
    var statistics: CacheStatistics { get }
}

/// Which API and route an entry belongs to, for `DELETE /cache?api=&route=`.
public struct CacheTag: Sendable, Equatable {
    public let api: String
    public let route: String

    public init(api: String, route: String) {
        self.api = api
        self.route = route
    }
}

/// Counters for `/metrics`.
public struct CacheStatistics: Sendable, Equatable {
    public var hits = 0
    public var misses = 0
    public var stores = 0
    public var evictions = 0
    public var expirations = 0
    public var entries = 0
    public var bytes = 0

    public init() {}
}
