/// Why a CIDR list entry was rejected; `index` is its position in the list.
public struct CIDRError: Error, Equatable, Sendable {
    public let index: Int
    public let message: String
    public init(index: Int, message: String) {
        self.index = index
        self.message = message
    }
}

/// A set of IPv4/IPv6 networks (trusted proxies, WAF IP sets).
public struct CIDRSet: Sendable, Equatable {
    public static let empty = CIDRSet()
    init() {}
    public init(parsing cidrs: [String]) throws(CIDRError) {}
    public func contains(_ address: IPAddress) -> Bool { false }
    public var isEmpty: Bool { true }
}
