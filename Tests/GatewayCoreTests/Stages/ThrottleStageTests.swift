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

/// A limit store that answers later, as a shared one does: the stage suspends and concludes on the result.
final class PendingLimitStore: LimitStore, Sendable {
    let inner = MemoryLimitStore()
    let fail: Bool

    init(fail: Bool = false) { self.fail = fail }

    func bucket(_ id: LimitID, throttle: Throttle, policy: LimitPolicyName) -> BucketHandle {
        inner.bucket(id, throttle: throttle, policy: policy)
    }
    func quota(_ id: LimitID, quota: Quota) -> QuotaHandle { inner.quota(id, quota: quota) }
    func acquire(_ request: LimitRequest, now: EpochNanoseconds) -> StoreReply<LimitOutcome> {
        .pending(PendingAcquire(outcome: fail ? nil : inner.acquireNow(request, now: now)))
    }
    func usage(of quota: QuotaHandle, now: EpochNanoseconds) async -> QuotaUsage { inner.usageNow(of: quota, now: now) }

    final class PendingAcquire: PendingOperation, Sendable {
        let outcome: LimitOutcome?
        init(outcome: LimitOutcome?) { self.outcome = outcome }
        func start(_ completion: @escaping @Sendable (OperationResult) -> Void) {
            if let outcome { completion(.success(outcome)) } else { completion(.failure(FakeOperationError())) }
        }
        func cancel() {}
    }
}

extension ThrottleStageTests {
    /// Runs the pipeline, carrying out each suspension the way the edge does: start, hand back, run again.
    func runResuming(_ snapshot: GatewaySnapshot) throws -> (GatewayAnswer?, RequestContext, suspensions: Int) {
        var request = TestRequest.make(.GET, "/orders/1")
        var stop = snapshot.pipeline.run(&request)
        var suspensions = 0
        while case .suspend(let operation, let resumeAt) = stop {
            suspensions += 1
            let box = ResultBox()
            operation.start { box.set($0) }
            request.operationResult = try #require(box.result)
            stop = snapshot.pipeline.run(&request, from: resumeAt)
        }
        switch stop {
        case .respond(let answer): return (answer, request, suspensions)
        case .integrate: return (nil, request, suspensions)
        default: throw FakeOperationError()
        }
    }

    @Test func aStoreThatAnswersLaterSuspendsTheRequestAndDecidesWhenResumed() throws {
        let state = GatewayState(clock: clock, limits: PendingLimitStore())
        let s = try StageFixture.snapshot(StageFixture.config(Self.routeThrottled), state: state)
        for _ in 0..<3 {
            let (answer, request, suspensions) = try runResuming(s)
            #expect(answer == nil && suspensions == 1)
            #expect(header(request, "ratelimit-policy") == #""route";q=3;w=2"#)
        }
        let (refused, _, _) = try runResuming(s)
        try expectProblem(refused, status: 429, code: .throttled, connection: .keepOpen, headers: ["retry-after: 1"])
    }

    @Test func aStoreThatCannotAnswerRefusesRatherThanAdmits() throws {
        let state = GatewayState(clock: clock, limits: PendingLimitStore(fail: true))
        let s = try StageFixture.snapshot(StageFixture.config(Self.routeThrottled), state: state)
        let (answer, _, suspensions) = try runResuming(s)
        #expect(suspensions == 1)
        let problem = try expectProblem(answer, status: 429, code: .throttled, connection: .keepOpen,
                                        headers: ["retry-after: 1"])
        #expect(problem.detail == "the rate limit could not be checked; retry shortly")
    }
}
