/// Two routes that cannot coexist; `first`/`second` index the keys given to `RouteTable.init`.
public struct RouteConflict: Error, Equatable, Sendable {
    public let first: Int
    public let second: Int
    public let message: String
    public init(first: Int, second: Int, message: String) {
        self.first = first
        self.second = second
        self.message = message
    }
}

/// One API's routes compiled into a segment trie so matching cost tracks path depth, not route count.
public struct RouteTable: Sendable {
    public init(keys: [RouteKey]) throws(RouteConflict) {}

    /// Matches a request; `path` excludes the query string and "" means "/".
    public func match(method: Substring, path: Substring) -> RouteMatch { .notFound }
}
