/// A request's query string split into `name=value` pairs, looked up by exact (case-sensitive) name.
///
/// Values stay raw until asked for: most routes never look at the query, and those that do read a few names.
public struct QueryParameters: Sendable {
    private let pairs: [(name: Substring, value: Substring)]

    public init(_ query: Substring?) {
        pairs = query.map(Self.split) ?? []
    }

    /// The raw `name=value` pairs of a query, in order: split at `&` (empty pieces skipped) and at each piece's
    /// first `=` (none: an empty value). Byte-wise, since the cache key does this on every hit with a query.
    public static func split(_ query: Substring) -> [(name: Substring, value: Substring)] {
        query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).map { pair in
            if let equals = pair.firstIndex(of: UInt8(ascii: "=")) {
                return (Substring(pair[..<equals]), Substring(pair[pair.index(after: equals)...]))
            }
            return (Substring(pair), "")
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
