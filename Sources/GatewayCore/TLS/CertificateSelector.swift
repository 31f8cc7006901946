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

    /// RFC 6125 name matching, the one rule for SNI selection, 421 checks and config checks: exact name
    /// (case-insensitive, trailing dot ignored), IP addresses compared as addresses, or a `*.` name covering
    /// exactly one extra label (never a whole TLD like `*.test`); a wildcard host is covered only by itself.
    public static func covers(_ names: [String], host: String) -> Bool {
        let host = normalized(host)
        guard !host.isEmpty else { return false }
        if let hostIP = IPAddress(host) {
            return names.contains { IPAddress($0).map { $0.unmapped == hostIP.unmapped } ?? false }
        }
        for name in names.map(normalized) where !name.isEmpty {
            if name == host { return true }
            guard name.hasPrefix("*."), !host.hasPrefix("*.") else { continue }
            let suffix = name.dropFirst(1)  // ".example.test"
            guard suffix.dropFirst().contains("."), host.hasSuffix(suffix) else { continue }
            let firstLabel = host.dropLast(suffix.count)
            if !firstLabel.isEmpty, !firstLabel.contains(".") { return true }
        }
        return false
    }

    private static func normalized(_ name: String) -> String {
        var name = name.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return name
    }
}
