import GatewayCore
import Testing
@testable import GatewayConfig

@Suite struct APIDecoderTests {
    let mock = #"{"type": "mock"}"#

    func route(_ key: String, _ extra: String = "") -> String {
        #"{"route": "\#(key)", "integration": {"type": "mock"}\#(extra)}"#
    }

    func lines(_ apis: String) -> [String] {
        TestConfig.lines(#"{"listen": {"http": ":8080"}, "apis": \#(apis)}"#)
    }

    @Test func compilesAPIsAndRoutes() throws {
        let result = TestConfig.compile(#"""
        {"listen": {"http": ":8080"}, "apis": [
          {"name": "orders", "basePath": "/v1/", "routes": [
             {"route": "GET /orders/{id}", "integration": {"type": "mock"}, "timeout": "5s"},
             {"route": "$default", "integration": {"type": "mock"}, "timeout": 0.25}]},
          {"name": "public", "routes": [{"route": "ANY /{proxy+}", "integration": {"type": "mock"}}]}]}
        """#)
        #expect(result.diagnostics == [])
        let apis = try #require(result.snapshot).apis
        #expect(apis.map(\.name) == ["orders", "public"])
        #expect(apis.map(\.basePath) == ["/v1", "/"])
        #expect(apis[0].routes.map(\.keyText) == ["GET /orders/{id}", "$default"])
        #expect(apis[0].routes.map(\.timeout) == [.seconds(5), .milliseconds(250)])
        #expect(apis[1].routes[0].timeout == .seconds(29))
        #expect(apis[1].routes[0].key == (try RouteKey.parse("ANY /{proxy+}").get()))
    }

    @Test func routeTimeoutBounds() {
        #expect(lines("[{\"name\": \"a\", \"routes\": [\(route("GET /a", #", "timeout": "20m""#))]}]") == ["/apis/0/routes/0/timeout: must be between 0 and 15m (got 20m)"])
        #expect(lines("[{\"name\": \"a\", \"routes\": [\(route("GET /a", #", "timeout": 901"#))]}]") == ["/apis/0/routes/0/timeout: must be between 0 and 15m (got 901)"])
        #expect(lines("[{\"name\": \"a\", \"routes\": [\(route("GET /a", #", "timeout": "soon""#))]}]") == [#"/apis/0/routes/0/timeout: invalid duration "soon": use seconds (30, 0.5) or a number with ms, s, m, h or d ("250ms", "29s", "5m")"#])
        #expect(TestConfig.compile(TestConfig.withRoutes([route("GET /a", #", "timeout": "15m""#)])).snapshot != nil)
    }

    @Test func invalidRouteKeysUseTheParsersMessage() throws {
        let errors = lines("[{\"name\": \"a\", \"routes\": [\(route("FETCH /a")), \(route("GET orders"))]}]")
        #expect(errors.count == 2)
        guard case .failure(let fetch) = RouteKey.parse("FETCH /a"), case .failure(let relative) = RouteKey.parse("GET orders") else {
            Issue.record("expected the route key parser to reject these")
            return
        }
        #expect(errors == ["/apis/0/routes/0/route: \(fetch.message)", "/apis/0/routes/1/route: \(relative.message)"])
    }

    @Test func routeConflictsPointAtTheSecondRoute() throws {
        let keys = ["GET /a", "GET /orders/{id}", "POST /a", "GET /orders/{orderId}", "GET /a"]
        let errors = lines("[{\"name\": \"a\", \"routes\": [\(keys.map { route($0) }.joined(separator: ","))]}]")
        #expect(errors.count == 2)
        #expect(errors[0].hasPrefix("/apis/0/routes/3/route: "))
        #expect(errors[1] == #"/apis/0/routes/4/route: duplicates route "GET /a""#)
        // Conflict detection still runs around a route whose key failed to parse.
        let mixed = lines("[{\"name\": \"a\", \"routes\": [\(route("GET /a")), \(route("BAD")), \(route("GET /a"))]}]")
        #expect(mixed.count == 2 && mixed[1] == #"/apis/0/routes/2/route: duplicates route "GET /a""#)
    }

    @Test func apiErrors() {
        #expect(lines(#"[{"routes": []}]"#) == [#"/apis/0: missing required key "name""#, #"/apis/0/routes: warning: API "" has no routes; every request to it will get 404"#])
        #expect(lines(#"[{"name": "", "routes": []}]"#) == ["/apis/0/name: must not be empty", #"/apis/0/routes: warning: API "" has no routes; every request to it will get 404"#])
        #expect(lines(#"[{"name": "a"}]"#) == [#"/apis/0: missing required key "routes""#])
        #expect(lines("[{\"name\": \"a\", \"basePath\": \"v1\", \"routes\": [\(route("GET /a"))]}]") == [#"/apis/0/basePath: must start with "/" (got "v1")"#])
        let two = "[{\"name\": \"a\", \"routes\": [\(route("GET /a"))]}, {\"name\": \"a\", \"routes\": [\(route("GET /b"))]}]"
        #expect(lines(two) == [#"/apis/1/name: duplicate API name "a" (also at /apis/0)"#])
        #expect(lines(#"{"name": "a"}"#) == ["/apis: must be an array (got object)"])
        #expect(lines("[]") == ["/apis: warning: no APIs are configured; every request will get 404"])
    }

    @Test func sameBasePathTwiceIsAllowed() {
        let two = "[{\"name\": \"a\", \"basePath\": \"/v1\", \"routes\": [\(route("GET /a"))]}, {\"name\": \"b\", \"basePath\": \"/v1/\", \"routes\": [\(route("GET /b"))]}]"
        #expect(lines(two) == [])
    }

    @Test func laterSectionsAreRejectedNotIgnored() {
        let extra = #", "apiKeyRequired": true, "throttle": {"rate": 1}, "cache": {"ttl": 60}, "timout": "1s""#
        let apis = "[{\"name\": \"a\", \"throttle\": {}, \"routes\": [\(route("GET /a", extra))]}]"
        #expect(lines(apis) == [
            #"/apis/0/throttle: missing required key "rate""#,
            #"/apis/0/throttle: missing required key "burst""#,
            #"/apis/0/routes/0/throttle: missing required key "burst""#,
            #"/apis/0/routes/0/timout: unknown key "timout" (did you mean "timeout"?)"#,
        ])
    }
}
