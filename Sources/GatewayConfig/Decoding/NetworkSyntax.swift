import GatewayCore

/// Syntax checks for addresses, hostnames, URLs, base paths and header names, done at load time so the
/// edge never meets a value it cannot use.
enum NetworkSyntax {
    static func isIPv4(_ s: Substring) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy { $0.isASCII && $0.isNumber }
                && (part.count == 1 || part.first != "0") && Int(part)! <= 255
        }
    }

    static func isIPv6(_ s: Substring) -> Bool {
        guard s.count >= 2, s.allSatisfy({ $0.isASCII }) else { return false }
        let halves = s.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { return false }
        func groups(_ text: String, allowIPv4Tail: Bool) -> Int? {
            if text.isEmpty { return 0 }
            let items = text.split(separator: ":", omittingEmptySubsequences: false)
            var count = 0
            for (i, item) in items.enumerated() {
                if allowIPv4Tail && i == items.count - 1 && item.contains(".") {
                    guard isIPv4(item) else { return nil }
                    count += 2
                } else {
                    guard (1...4).contains(item.count), item.allSatisfy(\.isHexDigit) else { return nil }
                    count += 1
                }
            }
            return count
        }
        if halves.count == 1 {
            return groups(halves[0], allowIPv4Tail: true) == 8
        }
        guard let head = groups(halves[0], allowIPv4Tail: false),
              let tail = groups(halves[1], allowIPv4Tail: true) else { return false }
        return head + tail <= 7
    }

    /// RFC 1123 hostname: dot-separated labels of letters, digits and inner hyphens, 1–63 each, 253 total.
    static func isHostname(_ s: Substring) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 253 else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }

    static func isHost(_ s: Substring) -> Bool {
        if s.allSatisfy({ $0.isNumber || $0 == "." }) { return isIPv4(s) }
        return isHostname(s)
    }

    /// Splits `host:port`, `[v6]:port` or `:port`; nil host means the port was given alone.
    static func splitHostPort(_ text: String) -> (host: Substring?, port: Substring?, bracketed: Bool)? {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (host, nil, true) }
            guard rest.first == ":" else { return nil }
            return (host, rest.dropFirst(), true)
        }
        guard let colon = text.lastIndex(of: ":") else { return (text[...], nil, false) }
        if text[..<colon].contains(":") { return nil }  // bare IPv6 without brackets
        return (text[..<colon], text[text.index(after: colon)...], false)
    }

    static func parsePort(_ s: Substring) -> Int? {
        guard !s.isEmpty, s.count <= 5, s.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(s)
    }

    /// "0.0.0.0:8080", "127.0.0.1:0", "[::1]:8080", "localhost:8080", ":8080" (all IPv4 interfaces).
    static func parseListenAddress(_ text: String) -> Result<ListenAddress, MessageError> {
        let usage = "invalid listen address \"\(text)\": expected HOST:PORT such as \"0.0.0.0:8080\", \"[::1]:8080\" or \":8080\""
        guard let parts = splitHostPort(text), let portText = parts.port, let host = parts.host else {
            return .failure(MessageError(usage))
        }
        guard let port = parsePort(portText) else { return .failure(MessageError(usage)) }
        guard port <= 65535 else {
            return .failure(MessageError("port must be between 0 and 65535 (got \(portText))"))
        }
        if parts.bracketed {
            guard isIPv6(host) else { return .failure(MessageError("invalid IPv6 address \"\(host)\" in \"\(text)\"")) }
            return .success(ListenAddress(host: String(host).lowercased(), port: port))
        }
        if host.isEmpty { return .success(ListenAddress(host: "0.0.0.0", port: port)) }
        guard isHost(host) else { return .failure(MessageError("invalid host \"\(host)\" in \"\(text)\"")) }
        return .success(ListenAddress(host: String(host).lowercased(), port: port))
    }

    /// `http://host[:port][/path]`: no query, fragment or user info; port 1–65535 (default 80).
    /// `caFile` is the trust for an `https://` URL (nil: the system's trust store).
    static func parseUpstreamURL(_ text: String, caFile: String? = nil) -> Result<UpstreamTarget, MessageError> {
        let lower = text.lowercased()
        let secure = lower.hasPrefix("https://")
        guard secure || lower.hasPrefix("http://") else {
            return .failure(MessageError("must be an http:// or https:// URL such as \"http://127.0.0.1:9001\" (got \"\(text)\")"))
        }
        if text.contains("?") || text.contains("#") {
            return .failure(MessageError("must not contain a query or fragment (got \"\(text)\")"))
        }
        let afterScheme = text.dropFirst(secure ? "https://".count : "http://".count)
        let authorityEnd = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        let authority = String(afterScheme[..<authorityEnd])
        let path = afterScheme[authorityEnd...]
        if authority.contains("@") {
            return .failure(MessageError("must not contain user info (got \"\(text)\")"))
        }
        guard let parts = splitHostPort(authority), let host = parts.host, !host.isEmpty else {
            return .failure(MessageError("missing or invalid host in \"\(text)\""))
        }
        if parts.bracketed ? !isIPv6(host) : !isHost(host) {
            return .failure(MessageError("invalid host \"\(host)\" in \"\(text)\""))
        }
        var port = secure ? 443 : 80
        if let portText = parts.port {
            guard let p = parsePort(portText), (1...65535).contains(p) else {
                return .failure(MessageError("port must be between 1 and 65535 (got \"\(portText)\")"))
            }
            port = p
        }
        if let bad = path.first(where: { !isPathCharacter($0) }) {
            return .failure(MessageError("invalid character \"\(bad)\" in the URL path (got \"\(text)\")"))
        }
        var basePath = String(path)
        while basePath.hasSuffix("/") { basePath.removeLast() }
        return .success(UpstreamTarget(host: String(host).lowercased(), port: port, basePath: basePath,
                                       tls: secure ? UpstreamTLS(caFile: caFile) : nil))
    }

    /// RFC 3986 pchar plus "/": unreserved, sub-delims, ":", "@" and percent escapes.
    static func isPathCharacter(_ c: Character) -> Bool {
        guard c.isASCII, let v = c.asciiValue else { return false }
        if c.isLetter || c.isNumber { return true }
        return "-._~!$&'()*+,;=:@/%".utf8.contains(v)
    }

    /// Normalises a mapping or API base path: "/" or "/a/b" (no trailing slash, no empty or dot segments).
    static func normalizeBasePath(_ text: String) -> Result<String, MessageError> {
        guard text.hasPrefix("/") else { return .failure(MessageError("must start with \"/\" (got \"\(text)\")")) }
        var path = text
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        if path == "/" { return .success("/") }
        for segment in path.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { return .failure(MessageError("must not contain empty segments (got \"\(text)\")")) }
            if segment == "." || segment == ".." {
                return .failure(MessageError("must not contain \".\" or \"..\" segments (got \"\(text)\")"))
            }
            if let bad = segment.first(where: { !isPathCharacter($0) || $0 == "{" || $0 == "}" }) {
                return .failure(MessageError("invalid character \"\(bad)\" in base path \"\(text)\""))
            }
        }
        // Requests are routed by their normal form, so a base path that is not in it could never match.
        switch RequestPath.normalForm(Substring(path)) {
        case .failure(let rejection):
            return .failure(MessageError("base path \"\(text)\" can never match: \(rejection.detail)"))
        case .success(let normal) where normal != path:
            return .failure(MessageError("base path \"\(text)\" is not in normal form (write \"\(normal)\")"))
        case .success:
            return .success(path)
        }
    }

}

/// A plain message used where the caller attaches the pointer.
struct MessageError: Error, Equatable {
    let message: String
    init(_ message: String) { self.message = message }
}
