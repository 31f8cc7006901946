/// The request path, in order: the one place that says what happens to a request and in which order.
///
/// The edge (`GatewayServer`) parses and frames the request, then runs these stages on the connection's event
/// loop; a stage that answers stops the request there. After the last stage the route's integration answers.
/// Built once per snapshot, so every stage is compiled from the configuration it belongs to.
public struct RequestPipeline: Sendable {
    public let stages: [any RequestStage]

    public init(settings: GatewaySettings, apis: [CompiledAPI], hostRouter: HostRouter, waf: WAFPolicy?,
                limits: LimitPolicy = .none, responseCache: MemoryCacheStore? = nil, state: GatewayState) {
        let stages: [(any RequestStage)?] = [
            // Who is asking: the peer, or the client a trusted proxy forwarded for.
            ClientIdentityStage(trustedProxies: settings.trustedProxies),
            // WAF: IP sets, match rules, rate-based rules → `blockStatus` (403) WAF_FILTERED. Before routing and
            // before any body is read; a block rule on the size of a streamed body becomes a cut-off.
            waf.map { WAFStage(policy: $0, store: state.rateWindows, clock: state.clock) },
            // A TLS connection carries only hosts its certificate covers → 421.
            MisdirectedRequestStage(),
            // Host → domain → base path → API → route → 404 / 405.
            RoutingStage(apis: apis, hostRouter: hostRouter),
            // On routes with `apiKeyRequired`: x-api-key → an enabled key whose plan covers the API → 403
            // INVALID_API_KEY.
            limits.keys.isEmpty && !apis.contains { $0.routes.contains(where: \.apiKeyRequired) }
                ? nil : APIKeyStage(keys: limits.keys),
            // Gateway, API, route, plan and plan-route buckets and the key's quota, all or nothing → 429 THROTTLED
            // or QUOTA_EXCEEDED with Retry-After; RateLimit-Policy and RateLimit on metered routes.
            limits.meters ? ThrottleStage(store: state.limits, clock: state.clock, routeBuckets: limits.routeBuckets) : nil,
            // A declared body over the limit, refused before anything reads it → 413.
            RequestSizeStage(maxBodySize: settings.limits.maxBodySize),
            // Path, query and header parameters against the route's schemas → 400.
            ParameterValidationStage(),
            // The body: JSON media type (415), then read in full (bounded) and checked against the schema → 400.
            BodyValidationStage(maxBodySize: settings.limits.maxBodySize),
            // Cache: a fresh GET entry answers here (304 when the client's validators match); a miss is marked for
            // the edge to store a cacheable response. Cache-Status on every response of a cached route.
            responseCache.map { CacheStage(store: $0, coalescer: $0.coalescer, clock: state.clock,
                                           maxEntrySize: settings.cache.maxEntrySize, apis: apis) },
        ]
        self.init(stages: stages.compactMap { $0 })
        // Then the route's integration answers: `mock` or `http` (`function` in issue 15), run by the edge behind
        // its `EdgeIntegration` protocol.
    }

    /// For tests and tools that assemble their own list.
    public init(stages: [any RequestStage]) {
        self.stages = stages
    }

    /// Where a run of the pipeline stopped.
    public enum Stop {
        /// Every stage let the request through: the route's integration answers it.
        case integrate
        case respond(GatewayAnswer)
        /// The stage at `resumeAt` wants the body; run again from there once it is in `RequestContext.body`.
        case readBody(limit: Int, resumeAt: Int)
        /// The stage at `resumeAt` waits for the operation; run again from there with its result.
        case suspend(any PendingOperation, resumeAt: Int)
    }

    /// Runs the stages from `start` (0, or where a body read or an operation resumes) until one stops the request.
    public func run(_ request: inout RequestContext, from start: Int = 0) -> Stop {
        var index = start
        while index < stages.count {
            switch stages[index].evaluate(&request) {
            case .next:
                index += 1
            case .respond(let answer):
                return .respond(answer)
            case .readBody(let limit):
                return .readBody(limit: limit, resumeAt: index)
            case .suspend(let operation):
                return .suspend(operation, resumeAt: index)
            }
        }
        return .integrate
    }
}

// MARK: the way out

extension RequestPipeline {
    /// What the stages found that the access log and metrics report, one field per contributing stage.
    ///
    /// Every response, whoever makes it, carries `X-Request-Id` and then `RequestContext.responseHeaders` in the
    /// order stages added them (later `RateLimit` from the throttle, `Cache-Status` from the cache); the edge's
    /// response writer puts them there.
    public struct Findings {
        /// ClientIdentityStage → access log `clientIp`.
        public var clientIP: IPAddress
        /// RoutingStage → access log `api` and `route`; metrics' `api` and `http.route` labels.
        public var apiIndex: Int
        public var routeIndex: Int
        public var apiName: String?
        public var routeKey: String?
        /// WAFStage → access log `waf` (`{"rule", "action"}`); the per-rule totals are counted by the stage.
        public var waf: WAFFinding?
        /// APIKeyStage → access log `apiKey` (the key's name, never its value).
        public var apiKey: String?
        /// CacheStage → access log `cache` (`hit`, `miss`, `bypass`).
        public var cache: CacheOutcome?
    }

    public static func findings(_ request: RequestContext, apis: [CompiledAPI]) -> Findings {
        let routed = request.apiIndex >= 0 && request.routeIndex >= 0
        return Findings(clientIP: request.clientIP, apiIndex: request.apiIndex, routeIndex: request.routeIndex,
                        apiName: routed ? apis[request.apiIndex].name : nil,
                        routeKey: routed ? request.route?.keyText : nil, waf: request.wafFinding,
                        apiKey: request.apiKey?.name, cache: request.cacheOutcome)
    }
}
