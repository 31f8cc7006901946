/// A parsed route key: `METHOD /path` with literal, `{name}` and final `{name+}` segments, or `$default`.
public struct RouteKey: Sendable, Hashable, CustomStringConvertible {
    public enum Method: String, Sendable, Hashable, CaseIterable {
        case get = "GET", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE"
        case head = "HEAD", options = "OPTIONS", any = "ANY"
    }

    public enum Segment: Sendable, Hashable {
        case literal(String)
        case parameter(String)
        /// `{name+}`: the rest of the path, at least one segment; only last.
        case greedy(String)
    }

    public let method: Method
    public let segments: [Segment]
    /// `$default`: the catch-all route (its method is `.any`, no segments).
    public let isDefault: Bool

    public init(method: Method, segments: [Segment], isDefault: Bool = false) {
        self.method = method
        self.segments = segments
        self.isDefault = isDefault
    }

    public static let catchAll = RouteKey(method: .any, segments: [], isDefault: true)

    /// The names of the path's `{name}` and `{name+}` parameters, in order.
    public var parameterNames: [String] {
        segments.compactMap { segment in
            switch segment {
            case .literal: nil
            case .parameter(let name), .greedy(let name): name
            }
        }
    }

    /// Canonical text, e.g. "GET /orders/{id}", "ANY /", "$default".
    public var description: String {
        if isDefault { return "$default" }
        let path = segments.isEmpty ? "/" : segments.map { segment -> String in
            switch segment {
            case .literal(let s): return "/" + s
            case .parameter(let n): return "/{" + n + "}"
            case .greedy(let n): return "/{" + n + "+}"
            }
        }.joined()
        return "\(method.rawValue) \(path)"
    }
}
