import GatewayCore

/// Top-level gateway settings: listeners, admin, trusted proxies, limits, access log, default endpoint.
enum SettingsDecoder {
    static let defaultAdminListen = ListenAddress(host: "127.0.0.1", port: 9901)

    /// Bounds that catch typos (a 10GB header limit, a zero idle timeout) without limiting real deployments.
    static let maxBodySizeRange = 0...(4 * 1024 * 1024 * 1024)
    static let maxHeaderSizeRange = 1024...(1024 * 1024)
    static let maxHeaderTimeout = Duration.seconds(600)
    static let maxIdleTimeout = Duration.seconds(86_400)

    struct Decoded {
        var settings: GatewaySettings
        var defaultEndpoint: Bool
    }

    static func decode(_ root: ObjectReader) -> Decoded? {
        let before = root.context.errorCount
        let listen = root.required("listen").flatMap { decodeListen($0) }
        let admin = decodeAdmin(root.optional("admin"), httpListen: listen?.http)
        let proxies = root.optional("trustedProxies").map { $0.cidrSet() } ?? .empty
        let limits = root.optional("limits").map(decodeLimits) ?? Limits.defaults
        let accessLog = root.optional("accessLog").flatMap(decodeAccessLog)
        let defaultEndpoint = root.optional("defaultEndpoint").map { $0.bool() ?? true } ?? true
        guard root.context.errorCount == before, let listen, let admin, let proxies else { return nil }
        return Decoded(settings: GatewaySettings(listen: listen, admin: admin, trustedProxies: proxies,
                                                 limits: limits, accessLog: accessLog),
                       defaultEndpoint: defaultEndpoint)
    }

    static func decodeListen(_ node: Node) -> ListenSettings? {
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        let http = reader.optional("http")
        let https = reader.optional("https")
        if http == nil && https == nil {
            node.context.error(node.pointer, "must have at least one of \"http\" or \"https\"")
            return nil
        }
        let httpAddress = http.flatMap(listenAddress)
        let httpsAddress = https.flatMap(listenAddress)
        guard http == nil || httpAddress != nil, https == nil || httpsAddress != nil else { return nil }
        if let httpAddress, let httpsAddress, clash(httpAddress, httpsAddress), let https {
            node.context.error(https.pointer, "the HTTPS listener cannot share \(httpsAddress) with /listen/http")
            return nil
        }
        return ListenSettings(http: httpAddress, https: httpsAddress)
    }

    static func listenAddress(_ node: Node) -> ListenAddress? {
        guard let text = node.string() else { return nil }
        switch NetworkSyntax.parseListenAddress(text) {
        case .success(let address): return address
        case .failure(let error):
            node.context.error(node.pointer, error.message)
            return nil
        }
    }

    static func decodeAdmin(_ node: Node?, httpListen: ListenAddress?) -> AdminSettings? {
        guard let node else { return AdminSettings(listen: defaultAdminListen, token: nil) }
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        var listen = defaultAdminListen
        var ok = true
        let listenNode = reader.optional("listen")
        if let listenNode {
            if let address = listenAddress(listenNode) {
                listen = address
                if let http = httpListen, clash(http, address) {
                    node.context.error(listenNode.pointer, "the admin listener cannot share \(address) with /listen/http")
                    ok = false
                }
            } else {
                ok = false
            }
        }
        var token: String?
        let tokenNode = reader.optional("token")
        if let tokenNode {
            token = tokenNode.nonEmptyString()
            if token == nil { ok = false }
        }
        // The admin API reloads the config and exposes metrics: reachable from other hosts only with a token.
        if ok, tokenNode == nil, !isLoopback(listen.host), let listenNode {
            node.context.error(listenNode.pointer, "the admin listener on \(listen) is reachable from other hosts and "
                + "needs a \"token\" (/admin/token); without one it must listen on loopback (127.0.0.0/8, [::1] or localhost)")
            ok = false
        }
        return ok ? AdminSettings(listen: listen, token: token) : nil
    }

    /// Loopback bind hosts: IPv4 127.0.0.0/8, IPv6 ::1 (and ::ffff:127.x.y.z), and the name `localhost`. Wildcards
    /// (0.0.0.0, ::) and every other name or address are not: they may accept connections from other hosts.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" { return true }  // hosts are lowercased when parsed
        guard let address = IPAddress(host) else { return false }
        let plain = address.unmapped
        if plain.isIPv4 { return plain.bytes[12] == 127 }
        return plain == IPAddress("::1")
    }

    /// Two binds clash on the same non-zero port when the hosts are equal or either is a wildcard.
    static func clash(_ a: ListenAddress, _ b: ListenAddress) -> Bool {
        guard a.port == b.port, a.port != 0 else { return false }
        let wildcards: Set = ["0.0.0.0", "::"]
        return a.host == b.host || wildcards.contains(a.host) || wildcards.contains(b.host)
    }

    static func decodeLimits(_ node: Node) -> Limits {
        var limits = Limits.defaults
        guard let reader = node.object() else { return limits }
        defer { reader.finish() }
        if let n = reader.optional("maxBodySize"), let v = n.size(in: maxBodySizeRange) { limits.maxBodySize = v }
        if let n = reader.optional("maxHeaderSize"), let v = n.size(in: maxHeaderSizeRange) { limits.maxHeaderSize = v }
        if let n = reader.optional("headerTimeout"), let v = n.duration(max: maxHeaderTimeout, minExclusive: true) {
            limits.headerTimeout = v
        }
        if let n = reader.optional("idleTimeout"), let v = n.duration(max: maxIdleTimeout, minExclusive: true) {
            limits.idleTimeout = v
        }
        return limits
    }

    static func decodeAccessLog(_ node: Node) -> AccessLogSettings? {
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        guard let pathNode = reader.required("path") else { return nil }
        guard let path = pathNode.nonEmptyString() else { return nil }
        if path == "-" { return AccessLogSettings(path: "-") }
        return AccessLogSettings(path: ConfigPaths.resolve(path, against: node.context.baseDirectory))
    }
}
