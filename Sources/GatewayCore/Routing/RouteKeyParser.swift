/// Why a route key string was rejected; `message` is shown to the operator verbatim.
public struct RouteKeyError: Error, Equatable, Sendable {
    public let message: String
    public init(message: String) { self.message = message }
}

extension RouteKey {
    /// Parses `METHOD /path` or `$default`; runs at config time, so precise messages beat speed here.
    public static func parse(_ text: String) -> Result<RouteKey, RouteKeyError> {
        func fail(_ message: String) -> Result<RouteKey, RouteKeyError> { .failure(RouteKeyError(message: message)) }

        if text == "$default" { return .success(.catchAll) }
        if text.isEmpty { return fail("route key is empty (expected \"METHOD /path\" or \"$default\")") }
        guard let space = text.firstIndex(of: " ") else {
            if text.hasPrefix("/") { return fail("missing method (expected \"METHOD \(text)\", e.g. \"GET \(text)\")") }
            return fail("expected \"METHOD /path\" or \"$default\" (got \"\(text)\")")
        }
        let methodText = text[..<space]
        let path = text[text.index(after: space)...]

        guard let method = Method(rawValue: String(methodText)) else {
            if methodText.isEmpty { return fail("missing method before the path") }
            if let upper = Method(rawValue: methodText.uppercased()) {
                return fail("unknown method \"\(methodText)\" (methods are uppercase: \"\(upper.rawValue)\")")
            }
            return fail("unknown method \"\(methodText)\" (expected GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY)")
        }
        if path.hasPrefix(" ") || path.hasSuffix(" ") {
            return fail("expected exactly one space between method and path")
        }
        if path == "$default" { return fail("$default takes no method (write \"$default\")") }
        guard path.first == "/" else { return fail("path must start with \"/\" (got \"\(path)\")") }
        if path == "/" { return .success(RouteKey(method: method, segments: [])) }

        var segments: [Segment] = []
        var names: Set<Substring> = []
        let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        for (i, part) in parts.enumerated() {
            if case .greedy(let name)? = segments.last {
                return fail("greedy parameter {\(name)+} must be the last segment")
            }
            if part.isEmpty {
                if i == parts.count - 1 {
                    return fail("empty path segment: remove the trailing \"/\" (\"\(path.dropLast())\" also matches \"\(path)\")")
                }
                return fail("empty path segment in \"\(path)\"")
            }
            if part.first == "{" || part.last == "}" || part.contains("{") || part.contains("}") {
                guard part.first == "{", part.last == "}", part.count >= 2 else {
                    return fail("parameter must be a whole segment: \"\(part)\" (write \"{name}\")")
                }
                var name = part.dropFirst().dropLast()
                let greedy = name.last == "+"
                if greedy { name = name.dropLast() }
                if name.isEmpty { return fail("empty parameter name in \"\(part)\"") }
                guard name.utf8.allSatisfy(isParameterNameByte) else {
                    return fail("invalid parameter name \"\(name)\" in \"\(part)\" (use letters, digits, \"_\" and \"-\")")
                }
                guard names.insert(name).inserted else { return fail("duplicate parameter name \"\(name)\"") }
                segments.append(greedy ? .greedy(String(name)) : .parameter(String(name)))
                continue
            }
            if part == "." || part == ".." { return fail("path segment \"\(part)\" is not allowed") }
            if let bad = part.unicodeScalars.first(where: { !isLiteralScalar($0) }) {
                if bad == "?" { return fail("route path must not contain a query string (\"?\")") }
                if bad.value > 0x7F {
                    let encoded = String(bad).utf8.map { "%" + ($0 < 16 ? "0" : "") + String($0, radix: 16, uppercase: true) }.joined()
                    return fail("invalid character \"\(bad)\" in path segment \"\(part)\" (percent-encode it: \"\(encoded)\")")
                }
                let shown = bad.value < 0x21 || bad.value == 0x7F ? "U+" + String(bad.value, radix: 16, uppercase: true) : "\"\(bad)\""
                return fail("invalid character \(shown) in path segment \"\(part)\"")
            }
            // Requests are routed by their normal form (`RequestPath`), so a literal must be in it to ever match.
            switch RequestPath.normalForm("/" + part) {
            case .failure(let rejection):
                return fail("path segment \"\(part)\" can never match: \(rejection.detail)")
            case .success(let normal) where normal.dropFirst() != part:
                return fail("path segment \"\(part)\" is not in normal form (write \"\(normal.dropFirst())\"): requests are matched after unreserved escapes are decoded and hex is upper-cased")
            case .success:
                break
            }
            segments.append(.literal(String(part)))
        }
        return .success(RouteKey(method: method, segments: segments))
    }

    private static func isParameterNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
    }

    /// RFC 3986 `pchar`: literals are compared with raw request path bytes, so only characters that can appear there.
    private static func isLiteralScalar(_ s: Unicode.Scalar) -> Bool {
        switch s {
        case "a"..."z", "A"..."Z", "0"..."9": return true
        case "-", ".", "_", "~", "%", "!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=", ":", "@": return true
        default: return false
        }
    }
}
