import GatewayCore

extension Node {
    /// A JSON array of CIDR strings (`trustedProxies`, an inline WAF IP set). Each entry is checked on its own, so
    /// every bad one is reported at its pointer, not just the first.
    func cidrSet() -> CIDRSet? {
        guard let items = array() else { return nil }
        var networks: [(IPAddress, Int)] = []
        networks.reserveCapacity(items.count)
        var ok = true
        for (index, item) in items.enumerated() {
            guard let text = item.string() else {
                ok = false
                continue
            }
            do {
                networks.append(try CIDRSet.parse(Substring(text), index: index))
            } catch {
                context.error(item.pointer, error.message)
                ok = false
            }
        }
        return ok ? CIDRSet(networks: networks) : nil
    }
}
