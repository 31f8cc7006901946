/// Path parameters captured by a route match, as raw (still percent-encoded) path text.
public struct PathParameters: Sendable, Equatable {
    public private(set) var names: [String] = []
    public private(set) var values: [Substring] = []

    public init() {}

    public mutating func append(_ name: String, _ value: Substring) {
        names.append(name)
        values.append(value)
    }

    public subscript(name: String) -> Substring? {
        guard let i = names.firstIndex(of: name) else { return nil }
        return values[i]
    }

    public var isEmpty: Bool { names.isEmpty }
}

/// The outcome of matching a method and path against one API's routes.
public enum RouteMatch: Sendable, Equatable {
    /// `route` indexes the API's `routes` array.
    case matched(route: Int, parameters: PathParameters)
    /// Some route matches the path but none the method; `allow` is the `Allow` header's method list.
    case methodNotAllowed(allow: [String])
    case notFound
}
