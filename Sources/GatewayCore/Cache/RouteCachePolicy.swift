/// A route's `cache` setting, compiled: how long a GET response lives and what names it.
public struct RouteCachePolicy: Sendable, Equatable {
    /// What a client's `Cache-Control: max-age=0` or `no-cache` may do (contract: `invalidation`).
    public enum Invalidation: String, Sendable, Equatable, CaseIterable {
        /// The cache answers anyway (the default: a client cannot make the gateway hammer the upstream).
        case ignore
        /// The entry is refreshed from the upstream.
        case allow
        /// Refreshed only for a request carrying a valid API key.
        case apiKey
    }

    /// One `keyParameters` entry: a query parameter (case-sensitive name) or a request header (any case).
    public enum KeyParameter: Sendable, Equatable, Hashable {
        case query(String)
        case header(String)
    }

    public static let maxTTLSeconds = 3600

    public let ttlSeconds: Int
    /// Empty: the key is the whole path and the sorted query. Otherwise only these parameters and headers.
    public let keyParameters: [KeyParameter]
    public let perApiKey: Bool
    public let invalidation: Invalidation

    public init(ttlSeconds: Int, keyParameters: [KeyParameter] = [], perApiKey: Bool = false,
                invalidation: Invalidation = .ignore) {
        precondition((0...Self.maxTTLSeconds).contains(ttlSeconds))
        self.ttlSeconds = ttlSeconds
        self.keyParameters = keyParameters
        self.perApiKey = perApiKey
        self.invalidation = invalidation
    }
}

/// The top-level `cache`: the store's total size and the largest response it keeps.
public struct CacheSettings: Sendable, Equatable {
    public static let defaultCapacity = 256 * 1024 * 1024
    public static let defaultMaxEntrySize = 1024 * 1024

    public let capacity: Int
    public let maxEntrySize: Int

    public init(capacity: Int = defaultCapacity, maxEntrySize: Int = defaultMaxEntrySize) {
        self.capacity = capacity
        self.maxEntrySize = maxEntrySize
    }
}
