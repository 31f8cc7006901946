/// A base path and the API served under it; `basePath` is normalised ("/" or "/a/b").
public struct BasePathMapping: Sendable, Equatable {
    public let basePath: String
    public let api: Int
    public init(basePath: String, api: Int) {
        self.basePath = basePath
        self.api = api
    }
}

/// A configured domain; `name` is lowercased, exact or "*.suffix".
public struct DomainRoute: Sendable, Equatable {
    public let name: String
    public let mappings: [BasePathMapping]
    public init(name: String, mappings: [BasePathMapping]) {
        self.name = name
        self.mappings = mappings
    }
}

/// Which APIs serve a request and what path their route tables should see.
public struct HostResolution: Sendable, Equatable {
    /// All APIs mapped at the winning base path, in config order.
    public let apis: [Int]
    public let basePath: String
    /// The path with the base path removed; "" means "/".
    public let remainingPath: Substring
    public init(apis: [Int], basePath: String, remainingPath: Substring) {
        self.apis = apis
        self.basePath = basePath
        self.remainingPath = remainingPath
    }
}

/// Picks the API(s) for a Host + path: domain mappings first, else the default endpoint.
public struct HostRouter: Sendable {
    public init(domains: [DomainRoute], defaultEndpoint: [BasePathMapping]?) {}

    public func resolve(host: Substring?, path: Substring) -> HostResolution? { nil }
}
