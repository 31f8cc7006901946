import Foundation
import GatewayConfig
import NIOHTTP1
import Testing
@testable import GatewayCore

/// Throttles and quotas compiled from gateway.json and run through the snapshot's pipeline with a moved clock.
@Suite struct ThrottleStageTests {
    static let key = "acme-key-0123456789abcdefghij"
    let clock = ManualClock(1_800_000_000 * 1_000_000_000)

    func snapshot(_ members: String) throws -> GatewaySnapshot {
        try StageFixture.snapshot(StageFixture.config(members), state: GatewayState(clock: clock))
    }

    func run(_ snapshot: GatewaySnapshot, _ target: String = "/orders/1", key: String? = nil)
        -> (GatewayAnswer?, RequestContext) {
        var request = TestRequest.make(.GET, target, headers: key.map { [("x-api-key", $0)] } ?? [])
        switch snapshot.pipeline.run(&request) {
        case .respond(let answer): return (answer, request)
        case .integrate: return (nil, request)
        default:
            Issue.record("unexpected stop")
            return (nil, request)
        }
    }

    func header(_ request: RequestContext, _ name: String) -> String? {
        request.responseHeaders.first { $0.name == name }?.value
    }

    static let routeThrottled = #"""
        "apis": [{"name": "orders", "routes": [
          {"route": "GET /orders/{id}", "integration": {"type": "mock"}, "throttle": {"rate": 2, "burst": 3}},
          {"route": "GET /free", "integration": {"type": "mock"}}]}]
        """#

    @Test func aRouteThrottleAdmitsItsBurstThenRefusesWithRetryAfter() throws {
        let s = try snapshot(Self.routeThrottled)
        // 2/s into a bucket of 3: after each request, whole tokens left and seconds until full (rounded up).
        for (remaining, untilFull) in [(2, 1), (1, 1), (0, 2)] {
            let (answer, request) = run(s)
            #expect(answer == nil)
            #expect(header(request, "ratelimit-policy") == #""route";q=3;w=2"#)
            #expect(header(request, "ratelimit") == #""route";r=\#(remaining);t=\#(untilFull)"#)
        }
        let (answer, request) = run(s)
        let problem = try expectProblem(answer, status: 429, code: .throttled, connection: .keepOpen,
                                        headers: ["retry-after: 1"])
        #expect(problem.detail == "too many requests; retry after 1 s")
        #expect(header(request, "ratelimit") == #""route";r=0;t=2"#)
        // Half a second later (2/s) one token is back; per route, not per path.
        clock.advance(by: .milliseconds(500))
        #expect(run(s, "/orders/2").0 == nil)
        #expect(run(s, "/orders/3").0?.errorCode == .throttled)
        // An unthrottled route carries no RateLimit fields.
        let (free, freeRequest) = run(s, "/free")
        #expect(free == nil && freeRequest.responseHeaders.isEmpty)
    }

    @Test func gatewayAPIAndRouteBucketsAreAllOrNothing() throws {
        let s = try snapshot(#"""
            "throttle": {"rate": 100, "burst": 10},
            "apis": [{"name": "orders", "throttle": {"rate": 100, "burst": 4}, "routes": [
              {"route": "GET /orders/{id}", "integration": {"type": "mock"}, "throttle": {"rate": 1, "burst": 2}},
              {"route": "GET /other", "integration": {"type": "mock"}}]}]
            """#)
        #expect(run(s).0 == nil)
        #expect(run(s).0 == nil)
        let (refused, request) = run(s)
        #expect(refused?.errorCode == .throttled)
        // The route bucket refused: the gateway and API buckets kept the tokens the refused request would have used.
        #expect(header(request, "ratelimit") == #""gateway";r=8;t=1, "api";r=2;t=1, "route";r=0;t=2"#)
        #expect(header(request, "ratelimit-policy") == #""gateway";q=10;w=1, "api";q=4;w=1, "route";q=2;w=2"#)
        #expect(run(s, "/other").0 == nil)
        #expect(run(s, "/other").0 == nil)
        // Now the API bucket is empty for every route of the API.
        let (apiRefused, apiRequest) = run(s, "/other")
        #expect(apiRefused?.errorCode == .throttled)
        #expect(header(apiRequest, "ratelimit") == #""gateway";r=6;t=1, "api";r=0;t=1"#)
    }

    static func planConfig(quota: String = #"{"limit": 3, "period": "DAY"}"#) -> String {
        #"""
        "apis": [{"name": "orders", "routes": [
          {"route": "GET /orders/{id}", "integration": {"type": "mock"}, "apiKeyRequired": true},
          {"route": "GET /slow", "integration": {"type": "mock"}, "apiKeyRequired": true}]}],
        "usagePlans": [{"name": "gold", "apis": ["orders"], "throttle": {"rate": 10, "burst": 10},
                        "quota": \#(quota), "routeThrottles": {"orders GET /slow": {"rate": 1, "burst": 1}}}],
        "apiKeys": [{"name": "acme", "value": "\#(key)", "plan": "gold"},
                    {"name": "other", "value": "other-0123456789abcdefghijklm", "plan": "gold"}]
        """#
    }

    @Test func quotasCountOnlyAdmittedRequestsPerKeyAndResetWithThePeriod() throws {
        let s = try snapshot(Self.planConfig())
        #expect(run(s, "/slow", key: Self.key).0 == nil)
        // The plan's route throttle refuses the next /slow: that request does not count against the quota.
        #expect(run(s, "/slow", key: Self.key).0?.errorCode == .throttled)
        #expect(run(s, key: Self.key).0 == nil)
        let (last, lastRequest) = run(s, key: Self.key)
        #expect(last == nil)
        #expect(header(lastRequest, "ratelimit")?.hasSuffix(#""quota";r=0;t=\#(secondsToMidnight())"#) == true)
        let (answer, _) = run(s, key: Self.key)
        let window = Quota(limit: 3, period: .day).window(containing: clock.now())
        try expectProblem(answer, status: 429, code: .quotaExceeded, connection: .keepOpen,
                          headers: ["retry-after: \((window.end - clock.now() + 999_999_999) / 1_000_000_000)"])
        // Another key has its own quota.
        #expect(run(s, key: "other-0123456789abcdefghijklm").0 == nil)
        // The next day starts afresh.
        clock.advance(by: .nanoseconds(window.end - clock.now()))
        #expect(run(s, key: Self.key).0 == nil)
    }

    func secondsToMidnight() -> Int64 {
        let window = Quota(limit: 3, period: .day).window(containing: clock.now())
        return (window.end - clock.now() + 999_999_999) / 1_000_000_000
    }

    @Test func aReloadKeepsCountersByName() throws {
        let state = GatewayState(clock: clock)
        let first = try StageFixture.snapshot(StageFixture.config(Self.planConfig()), state: state)
        for _ in 0..<3 { #expect(run(first, key: Self.key).0 == nil) }
        // The same plan with a higher rate: the quota's count and the buckets' tokens carry over.
        let second = try StageFixture.snapshot(StageFixture.config(Self.planConfig().replacingOccurrences(
            of: #""rate": 10, "burst": 10"#, with: #""rate": 20, "burst": 10"#)), state: state)
        #expect(run(second, key: Self.key).0?.errorCode == .quotaExceeded)
    }
}
