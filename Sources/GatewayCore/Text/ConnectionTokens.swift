import NIOHTTP1

/// Reading the `Connection` header's tokens without splitting it: the common `Connection: keep-alive` allocates
/// nothing. Shared by the edge (hop-by-hop removal) and the stages (a header a stage relies on must not be
/// nominated as hop-by-hop). `@inlinable` so the edge's per-header calls stay specialised across the module
/// boundary (unspecialised, they cost 2 % of a proxied request).
public enum ConnectionTokens {
    /// Names listed in `Connection` other than the well-known options `close` and `keep-alive`.
    @inlinable
    public static func nominated(_ headers: HTTPHeaders) -> [Substring]? {
        var tokens: [Substring]?
        for (name, value) in headers where name.utf8.count == 10 && name.equalsASCIICaseInsensitive("connection") {
            forEach(value) { token in
                if !token.equalsASCIICaseInsensitive("close") && !token.equalsASCIICaseInsensitive("keep-alive") {
                    if tokens == nil { tokens = [] }
                    tokens!.append(token)
                }
                return true
            }
        }
        return tokens
    }

    /// Each non-empty, trimmed token of one `Connection` value, until `body` returns false.
    @inlinable
    public static func forEach(_ value: String, _ body: (Substring) -> Bool) {
        var rest = Substring(value)
        while !rest.isEmpty {
            let comma = rest.firstIndex(of: ",") ?? rest.endIndex
            let token = rest[..<comma].trimmingASCIIWhitespace()
            rest = comma == rest.endIndex ? "" : rest[rest.index(after: comma)...]
            if !token.isEmpty && !body(token) { return }
        }
    }

    /// Whether `name` is in `list` (lower-case names), compared case-insensitively.
    @inlinable
    public static func isListed(_ name: some StringProtocol, _ list: [String]) -> Bool {
        let count = name.utf8.count
        for candidate in list where candidate.utf8.count == count && name.equalsASCIICaseInsensitive(candidate) {
            return true
        }
        return false
    }
}
