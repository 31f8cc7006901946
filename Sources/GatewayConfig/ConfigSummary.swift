import GatewayCore

/// One-line description of a loaded config, printed by `portcullis check` so a passing check still says what it saw.
public struct ConfigSummary: Sendable, Equatable {
    public let apis: Int
    public let routes: Int
    public let domains: Int

    public init(apis: Int, routes: Int, domains: Int) {
        self.apis = apis
        self.routes = routes
        self.domains = domains
    }

    public init(of snapshot: GatewaySnapshot) {
        apis = snapshot.apis.count
        routes = snapshot.apis.reduce(0) { $0 + $1.routes.count }
        domains = snapshot.domainNames.count
    }

    /// e.g. "2 APIs, 7 routes, 1 domain".
    public var text: String {
        [Self.count(apis, "API"), Self.count(routes, "route"), Self.count(domains, "domain")].joined(separator: ", ")
    }

    public static func summary(of snapshot: GatewaySnapshot) -> String {
        ConfigSummary(of: snapshot).text
    }

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}
