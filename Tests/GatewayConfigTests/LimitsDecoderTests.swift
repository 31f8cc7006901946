import GatewayCore
import Testing
@testable import GatewayConfig

@Suite struct LimitsDecoderTests {
    static let api = #"""
        "apis": [{"name": "orders", "throttle": {"rate": 1000, "burst": 2000}, "routes": [
          {"route": "GET /orders/{id}", "integration": {"type": "mock"}, "apiKeyRequired": true,
           "throttle": {"rate": 50, "burst": 100}},
          {"route": "POST /orders", "integration": {"type": "mock"}}]}]
        """#

    func compile(_ members: String) -> ConfigLoadResult {
        TestConfig.compile(#"{"listen": {"http": ":8080"}, "# + members + "}")
    }

    func lines(_ members: String) -> [String] {
        compile(members).diagnostics.map(\.description)
    }

    @Test func theContractExampleCompiles() throws {
        let result = compile(Self.api + #"""
            , "throttle": {"rate": 10000, "burst": 5000},
            "state": {"store": "memory", "path": "data/state"},
            "usagePlans": [{"name": "gold", "apis": ["orders"], "throttle": {"rate": 100, "burst": 200},
                            "quota": {"limit": 100000, "period": "MONTH", "offset": 0},
                            "routeThrottles": {"orders GET /orders/{id}": {"rate": 10, "burst": 20}}}],
            "apiKeys": [{"name": "acme", "sha256": "\#(String(repeating: "ab", count: 32))", "plan": "gold"},
                        {"name": "ci", "value": "${CI_API_KEY}", "plan": "gold", "enabled": true}]
            """#.replacingOccurrences(of: "${CI_API_KEY}", with: "ci-key-0123456789abcdefghij"))
        #expect(result.diagnostics.map(\.description) == [])
        let snapshot = try #require(result.snapshot)
        #expect(snapshot.settings.state.path == "/etc/portcullis/data/state")
        let route = snapshot.apis[0].routes[0]
        #expect(route.apiKeyRequired && route.throttle == Throttle(rateMilli: 50_000, burst: 100))
        #expect(snapshot.apis[0].throttle == Throttle(rateMilli: 1_000_000, burst: 2000))
        #expect(snapshot.limits.routeBuckets[0][0].map(\.id.text) == ["gateway", "api:orders", "route:orders GET /orders/{id}"])
        #expect(snapshot.limits.routeBuckets[0][1].map(\.policy) == [.gateway, .api])
        let plan = try #require(snapshot.limits.plans.first)
        #expect(plan.quota == Quota(limit: 100_000, period: .month) && plan.apis == [0])
        #expect(plan.routeThrottles == [RouteRef(api: 0, route: 0): Throttle(rateMilli: 10_000, burst: 20)])
        let acme = try #require(snapshot.limits.keys.byName["acme"])
        #expect(acme.planBucket?.id.text == "plan:gold:key:acme" && acme.quota?.id.text == "quota:gold:key:acme")
        #expect(acme.planRouteBuckets[RouteRef(api: 0, route: 0)]?.id.text == "plan:gold:key:acme:route:orders GET /orders/{id}")
        #expect(snapshot.limits.keys.key(presented: "ci-key-0123456789abcdefghij")?.name == "ci")
    }

    @Test func badThrottlesAreReportedAtTheirPointers() {
        let routes = #""apis": [{"name": "a", "routes": [{"route": "GET /x", "integration": {"type": "mock"}, "throttle": "#
        #expect(lines(routes + #"{"rate": 0, "burst": 1}}]}]"#) == [
            "/apis/0/routes/0/throttle/rate: must be greater than 0 and at most 1000000 requests per second (got 0)"])
        #expect(lines(routes + #"{"rate": 1.2345, "burst": 1}}]}]"#) == [
            "/apis/0/routes/0/throttle/rate: must have at most three decimals (got 1.2345)"])
        #expect(lines(routes + #"{"rate": 5, "burst": 0}}]}]"#) == [
            "/apis/0/routes/0/throttle/burst: must be between 1 and 1000000 (got 0)"])
        #expect(lines(routes + #"{"rate": "5"}}]}]"#) == [
            "/apis/0/routes/0/throttle/rate: must be a number of requests per second (got string)",
            "/apis/0/routes/0/throttle: missing required key \"burst\""])
        #expect(lines(#""throttle": {"rate": 1, "burst": 1, "brust": 2}, "# + TestConfig.pingAPI) == [
            "/throttle/brust: unknown key \"brust\""])
    }

    @Test func badPlansAreReportedAtTheirPointers() {
        let plans = #"""
            "usagePlans": [{"name": "gold", "apis": ["orders", "nope"],
                            "quota": {"limit": -1, "period": "YEAR"},
                            "routeThrottles": {"orders GET /missing": {"rate": 1, "burst": 1},
                                               "other GET /x": {"rate": 1, "burst": 1},
                                               "nonsense": {"rate": 1, "burst": 1}}},
                           {"name": "gold", "apis": ["orders"], "quota": {"limit": 5, "period": "DAY", "offset": 24}}]
            """#
        #expect(lines(Self.api + ", " + plans) == [
            "/usagePlans/0/apis/1: unknown API \"nope\"",
            "/usagePlans/0/quota/limit: must be between 0 and 1000000000000 (got -1)",
            "/usagePlans/0/quota/period: must be \"DAY\", \"WEEK\" or \"MONTH\" (got \"YEAR\")",
            "/usagePlans/0/routeThrottles/orders GET ~1missing: API \"orders\" has no route \"GET /missing\"",
            "/usagePlans/0/routeThrottles/other GET ~1x: API \"other\" is not one of this plan's \"apis\"",
            "/usagePlans/0/routeThrottles/nonsense: must be \"API ROUTE\", e.g. \"orders GET /orders/{id}\" (got \"nonsense\")",
            "/usagePlans/1/quota/offset: must be between 0 and 23 (got 24)",
            "/usagePlans/1/name: duplicate usage plan name \"gold\"",
        ])
    }

    @Test func badKeysAreReportedAtTheirPointers() {
        let keys = #"""
            "usagePlans": [{"name": "gold", "apis": ["orders"]}],
            "apiKeys": [{"name": "a", "value": "short", "plan": "gold"},
                        {"name": "b", "sha256": "xyz", "plan": "gold"},
                        {"name": "c", "plan": "gold"},
                        {"name": "d", "value": "long-enough-0123456789", "sha256": "\#(String(repeating: "0", count: 64))", "plan": "gold"},
                        {"name": "e", "value": "long-enough-0123456789", "plan": "silver"},
                        {"name": "f", "value": "long-enough-0123456789", "plan": "gold"},
                        {"name": "a", "value": "another-long-0123456789", "plan": "gold"}]
            """#
        #expect(lines(Self.api + ", " + keys) == [
            "/apiKeys/0/value: an API key must be at least 20 characters; make one with `portcullis keys new`",
            "/apiKeys/1/sha256: must be 64 hexadecimal digits (a SHA-256 digest)",
            "/apiKeys/2: missing \"sha256\" (the key's SHA-256 in hex) or \"value\"",
            "/apiKeys/3: give either \"sha256\" or \"value\", not both",
            "/apiKeys/4/plan: unknown usage plan \"silver\"",
            "/apiKeys/5: the same key as /apiKeys/4: keys must be unique",
            "/apiKeys/6/name: duplicate API key name \"a\" (also at /apiKeys/0)",
        ])
    }
}
