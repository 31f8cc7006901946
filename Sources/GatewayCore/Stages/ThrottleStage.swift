/// Token buckets and quotas (contract: `throttle` at gateway, API and route level; the key's usage plan
/// `throttle`, `routeThrottles` and `quota`), decided in one call to the limit store: a request passes every
/// bucket that applies and the quota, or takes nothing anywhere (429 THROTTLED / QUOTA_EXCEEDED with
/// `Retry-After`). Metered routes carry `RateLimit-Policy` and `RateLimit` on every response.
public struct ThrottleStage: RequestStage {
    let store: any LimitStore
    let clock: any GatewayClock
    /// Per API, per route: the gateway, API and route buckets that apply, built once per config.
    let routeBuckets: [[[BucketHandle]]]
    /// Per API, per route: the `RateLimit-Policy` items of those buckets, joined once.
    let routePolicies: [[String]]

    public init(store: any LimitStore, clock: any GatewayClock, routeBuckets: [[[BucketHandle]]]) {
        self.store = store
        self.clock = clock
        self.routeBuckets = routeBuckets
        routePolicies = routeBuckets.map { $0.map(RateLimitHeaders.policy(of:)) }
    }

    public var name: String { "throttle" }

    public func evaluate(_ request: inout RequestContext) -> StageVerdict {
        if let limits = request.limitProgress?.limits {
            // Resumed: a shared store answered. The Redis store always answers (`onUnavailable` is applied inside it,
            // within its budget); a store that failed anyway admits nothing.
            request.limitProgress = nil
            let result = request.operationResult
            request.operationResult = nil
            guard let outcome = (try? result?.get()) as? LimitOutcome else {
                return .respond(.problem(.throttled, "the rate limit could not be checked; retry shortly",
                                         requestId: request.requestId, headers: [("retry-after", "1")]))
            }
            return conclude(&request, limits, outcome)
        }
        guard request.apiIndex >= 0, request.routeIndex >= 0 else { return .next }
        var limits = LimitRequest(routeBuckets: routeBuckets[request.apiIndex][request.routeIndex])
        if let key = request.apiKey {
            limits.planBucket = key.planBucket
            if !key.planRouteBuckets.isEmpty {
                limits.planRouteBucket = key.planRouteBuckets[RouteRef(api: request.apiIndex, route: request.routeIndex)]
            }
            limits.quota = key.quota
        }
        guard !limits.isEmpty else { return .next }
        switch store.acquire(limits, now: clock.now()) {
        case .ready(let outcome):
            return conclude(&request, limits, outcome)
        case .pending(let operation):
            request.limitProgress = LimitProgress(limits: limits)
            return .suspend(operation)
        }
    }

    func conclude(_ request: inout RequestContext, _ limits: LimitRequest, _ outcome: LimitOutcome) -> StageVerdict {
        let routePart = routePolicies[request.apiIndex][request.routeIndex]
        request.responseHeaders.reserveCapacity(request.responseHeaders.count + 2)
        request.responseHeaders.append((RateLimitHeaders.policyName,
                                        RateLimitHeaders.policy(routePart: routePart, limits, outcome,
                                                                key: request.apiKey)))
        request.responseHeaders.append((RateLimitHeaders.stateName, RateLimitHeaders.state(limits, outcome)))
        let retryAfter = ("retry-after", String(max(1, RateLimitHeaders.seconds(outcome.retryAfter))))
        switch outcome.verdict {
        case .admitted:
            return .next
        case .throttled:
            return .respond(.problem(.throttled, "too many requests; retry after \(retryAfter.1) s",
                                     requestId: request.requestId, headers: [retryAfter]))
        case .quotaExceeded:
            return .respond(.problem(.quotaExceeded, "the API key's quota for this period is used up",
                                     requestId: request.requestId, headers: [retryAfter]))
        }
    }
}

/// The limits a suspended request waits on, boxed so the request context stays small.
final class LimitProgress: Sendable {
    let limits: LimitRequest

    init(limits: LimitRequest) {
        self.limits = limits
    }
}
