import GatewayCore
@testable import GatewayConfig

/// Shared helpers: compile a config text and render diagnostics as "pointer: message" lines.
enum TestConfig {
    static let path = "/etc/portcullis/gateway.json"

    static func compile(_ json: String, env: [String: String] = [:], path: String = path) -> ConfigLoadResult {
        ConfigLoader.compile(data: Array(json.utf8), sourcePath: path, environment: env)
    }

    /// Every diagnostic as "pointer: message" (warnings keep their "warning: " prefix).
    static func lines(_ json: String, env: [String: String] = [:]) -> [String] {
        compile(json, env: env).diagnostics.map(\.description)
    }

    /// A valid config with one API whose routes are the given JSON objects, plus extra top-level members.
    static func withRoutes(_ routes: [String], top: String = "") -> String {
        """
        {"listen": {"http": ":8080"}\(top.isEmpty ? "" : ", " + top),
         "apis": [{"name": "a", "routes": [\(routes.joined(separator: ", "))]}]}
        """
    }

    /// A valid config with one route using the given integration object.
    static func withIntegration(_ integration: String, route: String = "GET /orders/{id}") -> String {
        withRoutes([#"{"route": "\#(route)", "integration": \#(integration)}"#])
    }

    static func firstRoute(_ result: ConfigLoadResult) -> CompiledRoute? {
        result.snapshot?.apis.first?.routes.first
    }
}

extension TestConfig {
    static let pingAPI = #""apis": [{"name": "a", "routes": [{"route": "GET /ping", "integration": {"type": "mock"}}]}]"#

    /// Top-level members plus one valid API; `listen` is added unless given.
    static func top(_ members: String) -> String {
        let listen = members.hasPrefix("\"listen\"") ? "" : #""listen": {"http": ":8080"}, "#
        return "{\(listen)\(members)\(members.isEmpty ? "" : ", ")\(pingAPI)}"
    }
}
