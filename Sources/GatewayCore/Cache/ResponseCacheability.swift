/// Whether an upstream's response may be stored, and for how long (RFC 9111 as a shared cache applies it, narrowed
/// by the contract): only 200; never with `Set-Cookie`, `Cache-Control: no-store`, `private` or `no-cache` (this
/// cache does not revalidate), nor `Vary: *`; `s-maxage`, else `max-age`, may shorten the route's ttl, never
/// lengthen it. A response to a request that carried `Authorization` is stored only when the response says a shared
/// cache may (`public`, `s-maxage` or `must-revalidate`, RFC 9111 §3.5): one user's answer is never served to another.
public enum ResponseCacheability {
    public enum Decision: Sendable, Equatable {
        /// Store for `ttlSeconds`, as one variant per value of the `vary` request headers (lowercased names).
        case store(ttlSeconds: Int, vary: [String])
        /// Not stored; `reason` is for logs and tests.
        case bypass(reason: String)
    }

    public static func decide(status: Int, headers: [(name: String, value: String)], routeTTLSeconds: Int,
                              requestAuthorized: Bool = false) -> Decision {
        guard status == 200 else { return .bypass(reason: "status \(status)") }
        var sharedAllowed = false
        var ttl = routeTTLSeconds
        var sharedMaxAge: Int?
        var maxAge: Int?
        var vary: [String] = []
        for (name, value) in headers {
            if ASCIIBytes.equalIgnoringCase(name.utf8, "set-cookie".utf8) { return .bypass(reason: "set-cookie") }
            if ASCIIBytes.equalIgnoringCase(name.utf8, "vary".utf8) {
                for item in value.split(separator: ",") {
                    let field = item.trimmingASCIIWhitespace()
                    if field == "*" { return .bypass(reason: "vary *") }
                    if !field.isEmpty { vary.append(field.lowercased()) }
                }
                continue
            }
            guard ASCIIBytes.equalIgnoringCase(name.utf8, "cache-control".utf8) else { continue }
            for directive in value.split(separator: ",") {
                let text = directive.trimmingASCIIWhitespace()
                let (key, argument) = split(text)
                switch key.lowercased() {
                case "no-store", "private", "no-cache":
                    return .bypass(reason: "cache-control \(key.lowercased())")
                case "public", "must-revalidate":
                    sharedAllowed = true
                case "s-maxage":
                    guard let seconds = argument.flatMap(deltaSeconds) else { return .bypass(reason: "bad s-maxage") }
                    sharedMaxAge = min(sharedMaxAge ?? .max, seconds)
                    sharedAllowed = true
                case "max-age":
                    guard let seconds = argument.flatMap(deltaSeconds) else { return .bypass(reason: "bad max-age") }
                    maxAge = min(maxAge ?? .max, seconds)
                default:
                    continue
                }
            }
        }
        if requestAuthorized && !sharedAllowed { return .bypass(reason: "authorization") }
        if let limit = sharedMaxAge ?? maxAge { ttl = min(ttl, limit) }
        guard ttl > 0 else { return .bypass(reason: "max-age 0") }
        var seen = Set<String>()
        return .store(ttlSeconds: ttl, vary: vary.filter { seen.insert($0).inserted })
    }

    /// `name` or `name=argument` (quotes around the argument removed).
    static func split(_ directive: Substring) -> (Substring, Substring?) {
        guard let equals = directive.firstIndex(of: "=") else { return (directive, nil) }
        var argument = directive[directive.index(after: equals)...].trimmingASCIIWhitespace()
        if argument.count >= 2, argument.first == "\"", argument.last == "\"" { argument = argument.dropFirst().dropLast() }
        return (directive[..<equals].trimmingASCIIWhitespace(), argument)
    }

    /// RFC 9111 delta-seconds: digits only; huge values saturate.
    static func deltaSeconds(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int(text) ?? Int.max
    }
}
