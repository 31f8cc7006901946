import Foundation
import GatewayCore
import Testing
@testable import GatewayConfig

@Suite struct ConfigLoaderTests {
    static let full = #"""
    {
      "listen": { "http": "127.0.0.1:8080" },
      "admin": { "listen": "127.0.0.1:9901", "token": "${PORTCULLIS_ADMIN_TOKEN}" },
      "trustedProxies": ["127.0.0.1/32", "::1/128"],
      "limits": { "maxBodySize": "10MB", "maxHeaderSize": "16KB", "headerTimeout": "10s", "idleTimeout": "60s" },
      "accessLog": { "path": "logs/access.log" },
      "defaultEndpoint": true,
      "domains": [
        { "name": "api.example.test",
          "mappings": [ { "basePath": "/v1", "api": "orders" }, { "basePath": "/", "api": "public" } ] }
      ],
      "apis": [
        { "name": "orders",
          "basePath": "/",
          "routes": [
            { "route": "GET /orders/{id}",
              "integration": { "type": "http", "url": "http://127.0.0.1:9001", "path": "/internal/orders/{id}" },
              "timeout": "29s" },
            { "route": "ANY /legacy/{proxy+}",
              "integration": { "type": "http", "targets": ["http://127.0.0.1:9002/old", "http://[::1]:9003/old/"] },
              "timeout": "5m" },
            { "route": "GET /ping", "integration": { "type": "mock", "status": 200, "body": { "ok": true } } }
          ] },
        { "name": "public", "basePath": "/pub",
          "routes": [ { "route": "$default", "integration": { "type": "mock", "status": 404, "body": "nothing here" } } ] }
      ]
    }
    """#

    @Test func fullValidConfigCompilesIntoTheExpectedSnapshot() throws {
        let result = ConfigLoader.compile(data: Array(Self.full.utf8), sourcePath: "/srv/gw/gateway.json",
                                          environment: ["PORTCULLIS_ADMIN_TOKEN": "t0ken"])
        #expect(result.diagnostics == [])
        let snapshot = try #require(result.snapshot)
        #expect(snapshot.sourcePath == "/srv/gw/gateway.json")
        #expect(snapshot.settings == GatewaySettings(
            listen: ListenSettings(http: ListenAddress(host: "127.0.0.1", port: 8080)),
            admin: AdminSettings(listen: ListenAddress(host: "127.0.0.1", port: 9901), token: "t0ken"),
            trustedProxies: try CIDRSet(parsing: ["127.0.0.1/32", "::1/128"]),
            limits: Limits(maxBodySize: 10 * 1024 * 1024, maxHeaderSize: 16 * 1024, headerTimeout: .seconds(10), idleTimeout: .seconds(60)),
            accessLog: AccessLogSettings(path: "/srv/gw/logs/access.log")))
        #expect(snapshot.domainNames == ["api.example.test"])
        #expect(snapshot.apis.map(\.name) == ["orders", "public"])
        #expect(snapshot.apis.map(\.basePath) == ["/", "/pub"])

        let orders = snapshot.apis[0].routes
        #expect(orders.map(\.keyText) == ["GET /orders/{id}", "ANY /legacy/{proxy+}", "GET /ping"])
        #expect(orders.map(\.timeout) == [.seconds(29), .seconds(300), .seconds(29)])
        guard case .http(let byId) = orders[0].integration, case .http(let legacy) = orders[1].integration,
              case .mock(let ping) = orders[2].integration, case .mock(let fallback) = snapshot.apis[1].routes[0].integration else {
            Issue.record("unexpected integration kinds")
            return
        }
        #expect(byId.targets == [UpstreamTarget(host: "127.0.0.1", port: 9001, basePath: "")])
        #expect(byId.pathTemplate == PathTemplate(parts: [.literal("/internal/orders/"), .parameter("id")]))
        #expect(legacy.targets == [UpstreamTarget(host: "127.0.0.1", port: 9002, basePath: "/old"),
                                   UpstreamTarget(host: "::1", port: 9003, basePath: "/old")])
        #expect(legacy.pathTemplate == nil)
        #expect(ping.status == 200 && ping.body == Array(#"{"ok":true}"#.utf8))
        #expect(ping.headers.map { "\($0.name): \($0.value)" } == ["content-type: application/json"])
        #expect(fallback.status == 404 && fallback.body == Array("nothing here".utf8))

        // The host router was built from the domains and the default endpoint.
        let routed = snapshot.hostRouter.resolve(host: "api.example.test", path: "/v1/orders/7")
        #expect(routed?.apis == [0] && routed?.remainingPath == "/orders/7")
        #expect(snapshot.hostRouter.resolve(host: "other.test", path: "/pub/x")?.apis.contains(1) == true)
    }

    @Test func defaultEndpointFalseLeavesUnknownHostsUnrouted() throws {
        let result = TestConfig.compile(TestConfig.top(#""defaultEndpoint": false"#))
        let snapshot = try #require(result.snapshot)
        #expect(snapshot.hostRouter.resolve(host: "anything.test", path: "/ping") == nil)
        let on = try #require(TestConfig.compile(TestConfig.top("")).snapshot)
        #expect(on.hostRouter.resolve(host: "anything.test", path: "/ping")?.apis == [0])
    }

    @Test func collectsEveryErrorInOneRun() {
        let json = #"""
        {"listen": {"http": "nope"}, "limits": {"idleTimeout": "forever"}, "colour": 1, "waf": {},
         "domains": [{"name": "a.test", "mappings": [{"api": "ghost"}]}],
         "apis": [{"name": "a", "routes": [
           {"route": "GET /x", "integration": {"type": "http", "url": "gopher://up"}, "timeout": "1h"},
           {"route": "GET /x", "integration": {"type": "mock", "status": 99}}]}]}
        """#
        #expect(TestConfig.lines(json) == [
            #"/listen/http: invalid listen address "nope": expected HOST:PORT such as "0.0.0.0:8080", "[::1]:8080" or ":8080""#,
            #"/limits/idleTimeout: invalid duration "forever": use seconds (30, 0.5) or a number with ms, s, m, h or d ("250ms", "29s", "5m")"#,
            #"/apis/0/routes/0/integration/url: must be an http:// or https:// URL such as "http://127.0.0.1:9001" (got "gopher://up")"#,
            "/apis/0/routes/0/timeout: must be between 0 and 15m (got 1h)",
            "/apis/0/routes/1/integration/status: must be between 100 and 599 (got 99)",
            #"/apis/0/routes/1/route: duplicates route "GET /x""#,
            #"/domains/0/mappings/0/api: unknown API "ghost""#,
            #"/waf: missing required key "rules""#,
            #"/colour: unknown key "colour""#,
        ])
        #expect(TestConfig.compile(json).snapshot == nil)
    }

    @Test func everyLaterTopLevelSectionIsRejected() {
        let sections = ConfigLoader.unsupportedSections
        let json = TestConfig.top(sections.map { #""\#($0)": {}"# }.joined(separator: ", "))
        #expect(TestConfig.lines(json) == sections.map { #"/\#($0): "\#($0)" is not supported yet"# })
    }

    @Test func unknownTopLevelKeys() {
        #expect(TestConfig.lines(TestConfig.top(#""api": [], "listn": 1"#)) == [
            #"/api: unknown key "api" (did you mean "apis"?)"#,
            #"/listn: unknown key "listn" (did you mean "listen"?)"#,
        ])
    }

    @Test func parseErrorsAreDocumentDiagnosticsWithLineAndColumn() {
        let result = TestConfig.compile("{\n  \"listen\": {\"http\": \":8080\"}\n  \"apis\": []\n}")
        #expect(result.snapshot == nil)
        #expect(result.diagnostics == [.error("", "invalid JSON at line 3, column 3: unexpected '\"', expected ',' or '}'")])
        #expect(result.diagnostics[0].formatted(displayPath: "gateway.json")
            == "gateway.json: : invalid JSON at line 3, column 3: unexpected '\"', expected ',' or '}'")
        // When the failing value is known, its pointer is used.
        let nested = TestConfig.compile(#"{"apis": [{"name": "a", "name": "b"}]}"#)
        #expect(nested.diagnostics == [.error("/apis/0/name", "invalid JSON at line 1, column 25: duplicate key \"name\"")])
    }

    @Test func documentMustBeAnObject() {
        #expect(TestConfig.lines("[]") == [": the configuration must be a JSON object (got array)"])
    }

    @Test func environmentSubstitutionAppliesToAnyString() throws {
        let json = TestConfig.withIntegration(#"{"type": "http", "url": "http://${HOST}:${PORT}/${PREFIX}"}"#, route: "GET /${R}")
        let ok = TestConfig.compile(json, env: ["HOST": "up", "PORT": "81", "PREFIX": "api", "R": "items"])
        let route = try #require(TestConfig.firstRoute(ok))
        #expect(route.keyText == "GET /items")
        guard case .http(let h) = route.integration else { Issue.record("expected http"); return }
        #expect(h.targets == [UpstreamTarget(host: "up", port: 81, basePath: "/api")])
        #expect(TestConfig.lines(json, env: ["HOST": "up", "R": "x"]) == [
            #"/apis/0/routes/0/integration/url: environment variable "PORT" is not set"#,
            #"/apis/0/routes/0/integration/url: environment variable "PREFIX" is not set"#,
        ])
    }

    @Test func warningsAccompanyASnapshot() throws {
        let result = TestConfig.compile(#"{"listen": {"http": ":8080"}}"#)
        #expect(result.snapshot != nil)
        #expect(result.diagnostics == [.warning("", #"no "apis" are configured; every request will get 404"#)])
        #expect(result.errors.isEmpty && result.warnings.count == 1)
    }

    @Test func loadReadsFilesAndResolvesPathsAgainstTheirDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("gateway.json")
        try Data(TestConfig.top(#""accessLog": {"path": "../logs/${NAME}.log"}"#).utf8).write(to: file)
        let result = ConfigLoader.load(path: file.path, environment: ["NAME": "access"])
        #expect(result.diagnostics == [])
        let snapshot = try #require(result.snapshot)
        #expect(snapshot.settings.accessLog?.path == dir.deletingLastPathComponent().appendingPathComponent("logs/access.log").standardizedFileURL.path)
        #expect(snapshot.sourcePath == file.standardizedFileURL.path)
    }

    @Test func unreadableFilesAreDocumentDiagnostics() throws {
        let missing = ConfigLoader.load(path: "/nonexistent/portcullis/gateway.json", environment: [:])
        #expect(missing.snapshot == nil)
        #expect(missing.diagnostics == [.error("", "cannot read file: No such file or directory")])
        #expect(missing.diagnostics[0].formatted(displayPath: "gateway.json") == "gateway.json: : cannot read file: No such file or directory")
        let directory = ConfigLoader.load(path: FileManager.default.temporaryDirectory.path, environment: [:])
        #expect(directory.diagnostics == [.error("", "cannot read file: Is a directory")])
    }
}
