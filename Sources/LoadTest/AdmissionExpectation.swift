import GatewayConfig
import GatewayCore
import NIOHTTP1

/// How many requests a rate limit should admit from a plan's schedule, computed by running the gateway's own
/// limiter (`MemoryLimitStore`, token buckets and quotas) over the exact times the plan offers requests. Assumes
/// the limits start fresh: full buckets, unused quotas.
public struct AdmissionExpectation: Sendable {
    /// Expected admitted requests in all, and per API key in the plan's order.
    public let total: Int
    public let perKey: [Int]
    /// What the expectation was computed from, for the report.
    public let basis: String

    /// One bucket of `rate` per second and `burst` (`--expect-rate`, `--expect-burst`), shared by every request.
    public static func bucket(rate: Double, burst: Int, plan: LoadTestPlan) -> Result<AdmissionExpectation, LoadTestError> {
        let milli = (rate * 1000).rounded()
        guard rate > 0, milli >= 1, milli <= Double(Throttle.maxRate * 1000), burst >= 1, burst <= Throttle.maxBurst else {
            return .failure(LoadTestError("--expect-rate must be in (0, \(Throttle.maxRate)] and --expect-burst in [1, \(Throttle.maxBurst)]"))
        }
        let store = MemoryLimitStore()
        let bucket = store.bucket(LimitID("expect"), throttle: Throttle(rateMilli: Int64(milli), burst: Int64(burst)),
                                  policy: .route)
        let request = LimitRequest(routeBuckets: [bucket])
        let keys = max(plan.apiKeys.count, 1)
        let counts = simulate(plan: plan, store: store, start: 0) { _ in request }
        return .success(AdmissionExpectation(total: counts.reduce(0, +), perKey: plan.apiKeys.isEmpty ? [] : counts.prefix(keys).map { $0 },
                                             basis: "one bucket of \(Throttle(rateMilli: Int64(milli), burst: Int64(burst)))"))
    }

    /// From a gateway.json (`--expect-from`): the route the URL reaches and, per key, the buckets and quota that
    /// apply to it, as the gateway would compile them. `startEpoch` places quota periods (nanoseconds since 1970).
    public static func fromConfig(path: String, plan: LoadTestPlan, environment: [String: String],
                                  startEpoch: EpochNanoseconds) -> Result<AdmissionExpectation, LoadTestError> {
        let loaded = ConfigLoader.load(path: path, environment: environment)
        guard let snapshot = loaded.snapshot else {
            let first = loaded.errors.first.map { "\($0.pointer): \($0.message)" } ?? "unreadable"
            return .failure(LoadTestError("\(path) has errors (\(first))"))
        }
        let keys: [String?] = plan.apiKeys.isEmpty ? [nil] : plan.apiKeys.map { Optional($0) }
        var requests: [LimitRequest?] = []
        var notes: [String] = []
        for key in keys {
            switch route(plan: plan, key: key, snapshot: snapshot) {
            case .failure(let refusal):
                requests.append(nil)
                notes.append(refusal.description)
            case .success(let limits):
                requests.append(limits)
                notes.append(describe(limits))
            }
        }
        let counts = simulate(plan: plan, store: snapshot.state.limits, start: startEpoch) { requests[$0] }
        let basis = keys.count == 1 ? notes[0]
            : Set(notes).count == 1 ? "each of \(keys.count) keys: \(notes[0])"
            : notes.enumerated().map { "key \($0 + 1): \($1)" }.joined(separator: "; ")
        return .success(AdmissionExpectation(total: counts.reduce(0, +), perKey: plan.apiKeys.isEmpty ? [] : counts,
                                             basis: "\(path): \(basis)"))
    }

    /// Runs the limiter over the schedule: request `i` is due at `start + plan.intendedOffset(of: i)` and carries
    /// key `i % keys`. A nil request (the route refuses the key) admits nothing.
    static func simulate(plan: LoadTestPlan, store: any LimitStore, start: EpochNanoseconds,
                         request: (Int) -> LimitRequest?) -> [Int] {
        let keys = max(plan.apiKeys.count, 1)
        var admitted = Array(repeating: 0, count: keys)
        let local = store as? MemoryLimitStore
        for index in 0..<plan.offeredRequests {
            let key = index % keys
            guard let limits = request(key) else { continue }
            if limits.isEmpty { admitted[key] += 1; continue }
            let now = start + plan.intendedOffset(of: index)
            let outcome: LimitOutcome
            if let local {
                outcome = local.acquireNow(limits, now: now)
            } else if case .ready(let ready) = store.acquire(limits, now: now) {
                outcome = ready
            } else {
                continue
            }
            if outcome.verdict == .admitted { admitted[key] += 1 }
        }
        return admitted
    }

    /// The limits the gateway would apply to the plan's request with `key`: its stages run up to the throttle.
    static func route(plan: LoadTestPlan, key: String?, snapshot: GatewaySnapshot) -> Result<LimitRequest, LoadTestError> {
        var headers = HTTPHeaders()
        headers.add(name: "host", value: plan.target.authority)
        if let key { headers.add(name: "x-api-key", value: key) }
        for (name, value) in plan.headers { headers.add(name: name, value: value) }
        let target = plan.target.requestTarget
        let question = target.firstIndex(of: "?")
        let rawPath = question.map { target[..<$0] } ?? target[...]
        var path = rawPath
        switch RequestPath.normalize(rawPath) {
        case .success(let normalized?): path = Substring(normalized)
        case .success(nil): break
        case .failure(let rejection): return .failure(LoadTestError("the gateway refuses the path: \(rejection.detail)"))
        }
        let head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: plan.method), uri: target, headers: headers)
        var context = RequestContext(
            head: head, peer: IPAddress("127.0.0.1")!, host: Substring(plan.target.authority), path: path, rawPath: rawPath,
            query: question.map { target[target.index(after: $0)...] },
            framing: plan.body.isEmpty ? .none : .contentLength(plan.body.count),
            requestId: "loadtest")
        for stage in snapshot.pipeline.stages {
            if stage is ThrottleStage { break }
            // Stages that read the body (validation) come after the throttle; WAF rate rules are not simulated.
            switch stage.evaluate(&context) {
            case .next, .suspend, .readBody:
                continue
            case .respond(let answer):
                return .failure(LoadTestError("the gateway answers \(answer.status) \(answer.errorCode?.rawValue ?? "")".trimmingTrailingSpace))
            }
        }
        guard context.apiIndex >= 0, context.routeIndex >= 0 else { return .failure(LoadTestError("no route")) }
        var limits = LimitRequest(routeBuckets: snapshot.limits.routeBuckets.isEmpty
                                  ? [] : snapshot.limits.routeBuckets[context.apiIndex][context.routeIndex])
        if let apiKey = context.apiKey {
            limits.planBucket = apiKey.planBucket
            limits.planRouteBucket = apiKey.planRouteBuckets[RouteRef(api: context.apiIndex, route: context.routeIndex)]
            limits.quota = apiKey.quota
        }
        return .success(limits)
    }

    static func describe(_ limits: LimitRequest) -> String {
        var parts: [String] = []
        limits.forEachBucket { parts.append("\($0.policy.rawValue) \($0.throttle)") }
        if let quota = limits.quota { parts.append("quota \(quota.quota.limit)/\(quota.quota.period.rawValue)") }
        return parts.isEmpty ? "no limits apply" : parts.joined(separator: ", ")
    }
}

extension String {
    fileprivate var trimmingTrailingSpace: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
