/// Picks the certificate for a TLS handshake from its SNI name, in the contract's order: an exact domain, a
/// wildcard domain (`*.example.test`, one label), a default certificate whose names cover the host, then the
/// first default. Pure, so the order is tested without handshakes; the TLS layer calls it per ClientHello.
public struct CertificateSelector: Sendable, Equatable {
    /// Domain name (lowercased, exact or `*.suffix`) → certificate index.
    private let exactDomains: [String: Int]
    /// Wildcard suffix without the `*` (".tenants.example.test") → certificate index.
    private let wildcardDomains: [String: Int]
    /// Default certificates in config order, with the names each covers.
    private let defaults: [(index: Int, names: [String])]
    /// Used when nothing else applies and there is no default: the first certificate configured anywhere.
    private let fallback: Int

    public init(domains: [(name: String, certificate: Int)], defaults: [(index: Int, names: [String])]) {
        var exact: [String: Int] = [:]
        var wildcard: [String: Int] = [:]
        for (name, certificate) in domains {
            if name.hasPrefix("*.") { wildcard[String(name.dropFirst())] = certificate } else { exact[name] = certificate }
        }
        exactDomains = exact
        wildcardDomains = wildcard
        self.defaults = defaults
        fallback = defaults.first?.index ?? domains.map(\.certificate).min() ?? 0
    }

    public static func == (lhs: CertificateSelector, rhs: CertificateSelector) -> Bool {
        lhs.exactDomains == rhs.exactDomains && lhs.wildcardDomains == rhs.wildcardDomains
            && lhs.fallback == rhs.fallback && lhs.defaults.map(\.index) == rhs.defaults.map(\.index)
            && lhs.defaults.map(\.names) == rhs.defaults.map(\.names)
    }

    /// The certificate index for a ClientHello's server name (nil when the client sent none).
    public func select(serverName: String?) -> Int {
        guard var name = serverName?.lowercased(), !name.isEmpty else { return fallback }
        if name.hasSuffix(".") { name.removeLast() }
        if let index = exactDomains[name] { return index }
        if let dot = name.firstIndex(of: "."), let index = wildcardDomains[String(name[dot...])] { return index }
        for (index, names) in defaults where Self.covers(names, host: name) { return index }
        return fallback
    }

    /// RFC 6125 name matching: exact (case-insensitive) or a `*.` name covering exactly one extra label.
    public static func covers(_ names: [String], host: String) -> Bool {
        let host = host.lowercased()
        for name in names {
            if name == host { return true }
            if name.hasPrefix("*."), let dot = host.firstIndex(of: "."), host.startIndex != dot,
               host[dot...] == name.dropFirst() {
                return true
            }
        }
        return false
    }
}
