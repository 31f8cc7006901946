/// A request's query string split into `name=value` pairs, looked up by exact (case-sensitive) name.
///
/// Values stay raw until asked for: most routes never look at the query, and those that do read a few names.
public struct QueryParameters: Sendable {
    private let pairs: [(name: Substring, value: Substring)]

    public init(_ query: Substring?) {
        guard let query, !query.isEmpty else {
            pairs = []
            return
        }
        pairs = query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let equals = pair.firstIndex(of: "=") {
                return (pair[..<equals], pair[pair.index(after: equals)...])
            }
            return (pair, pair[pair.endIndex...])
        }
    }

    /// The decoded values of every pair whose decoded name is `name`, in order; `.failure` for a malformed escape.
    public func values(_ name: String) -> Result<[String], MalformedEscape> {
        var result: [String] = []
        for pair in pairs where PercentDecoding.decode(pair.name) == name {
            guard let value = PercentDecoding.decode(pair.value) else { return .failure(MalformedEscape(name: name)) }
            result.append(value)
        }
        return .success(result)
    }

    public struct MalformedEscape: Error, Equatable, Sendable {
        public let name: String
        public init(name: String) { self.name = name }
    }
}
