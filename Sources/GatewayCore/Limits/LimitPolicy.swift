/// Throttles, usage plans and API keys of one config, with their counters looked up in the limit store.
///
/// Counter ids name what a limit is for, not its numbers, so a reload that changes a rate keeps the tokens and a
/// quota's count: `gateway`, `api:NAME`, `route:API ROUTEKEY`, `plan:PLAN:key:KEY`,
/// `plan:PLAN:key:KEY:route:API ROUTEKEY` and `quota:PLAN:key:KEY`.
public struct LimitPolicy: Sendable {
    public let keys: APIKeyTable
    public let plans: [UsagePlan]
    /// Per API, per route: the gateway, API and route buckets that apply.
    public let routeBuckets: [[[BucketHandle]]]

    public static let none = LimitPolicy(keys: .empty, plans: [], routeBuckets: [])

    init(keys: APIKeyTable, plans: [UsagePlan], routeBuckets: [[[BucketHandle]]]) {
        self.keys = keys
        self.plans = plans
        self.routeBuckets = routeBuckets
    }

    /// One configured key before compilation: its digest, plan index and whether it is enabled.
    public struct KeySpec: Sendable {
        public let name: String
        public let digest: KeyDigest
        public let plan: Int
        public let enabled: Bool

        public init(name: String, digest: KeyDigest, plan: Int, enabled: Bool) {
            self.name = name
            self.digest = digest
            self.plan = plan
            self.enabled = enabled
        }
    }

    public init(gatewayThrottle: Throttle?, apis: [CompiledAPI], plans: [UsagePlan], keys: [KeySpec],
                store: any LimitStore) {
        let gateway = gatewayThrottle.map { store.bucket(LimitID("gateway"), throttle: $0, policy: .gateway) }
        routeBuckets = apis.map { api in
            let apiBucket = api.throttle.map { store.bucket(LimitID("api:\(api.name)"), throttle: $0, policy: .api) }
            return api.routes.map { route in
                let routeBucket = route.throttle.map {
                    store.bucket(LimitID("route:\(api.name) \(route.keyText)"), throttle: $0, policy: .route)
                }
                return [gateway, apiBucket, routeBucket].compactMap { $0 }
            }
        }
        self.plans = plans
        self.keys = APIKeyTable(keys.map { spec in
            let plan = plans[spec.plan]
            let prefix = "plan:\(plan.name):key:\(spec.name)"
            var routeBuckets: [RouteRef: BucketHandle] = [:]
            for (ref, throttle) in plan.routeThrottles {
                let api = apis[ref.api]
                routeBuckets[ref] = store.bucket(LimitID("\(prefix):route:\(api.name) \(api.routes[ref.route].keyText)"),
                                                 throttle: throttle, policy: .planRoute)
            }
            return CompiledAPIKey(
                name: spec.name, digest: spec.digest, enabled: spec.enabled, plan: plan,
                planBucket: plan.throttle.map { store.bucket(LimitID(prefix), throttle: $0, policy: .plan) },
                planRouteBuckets: routeBuckets,
                quota: plan.quota.map { store.quota(LimitID("quota:\(plan.name):key:\(spec.name)"), quota: $0) })
        })
    }
}

extension LimitPolicy {
    /// Whether any route has a bucket or any key a plan limit: otherwise the throttle stage is left out.
    public var meters: Bool {
        routeBuckets.contains { $0.contains { !$0.isEmpty } }
            || keys.byName.values.contains { $0.planBucket != nil || $0.quota != nil || !$0.planRouteBuckets.isEmpty }
    }
}
