/// A route as limits name it: indices into the snapshot's `apis` and that API's `routes`.
public struct RouteRef: Hashable, Sendable {
    public let api: Int
    public let route: Int

    public init(api: Int, route: Int) {
        self.api = api
        self.route = route
    }
}

/// One `usagePlans` entry, compiled: which APIs its keys may call and the limits each key gets.
public final class UsagePlan: Sendable {
    public let name: String
    /// Indices of the APIs the plan covers; a key on any other API is refused (403).
    public let apis: Set<Int>
    /// Per key: every request of the key on the plan's APIs.
    public let throttle: Throttle?
    /// Per key: admitted requests per calendar period.
    public let quota: Quota?
    /// Per key per route.
    public let routeThrottles: [RouteRef: Throttle]

    public init(name: String, apis: Set<Int>, throttle: Throttle?, quota: Quota?, routeThrottles: [RouteRef: Throttle]) {
        self.name = name
        self.apis = apis
        self.throttle = throttle
        self.quota = quota
        self.routeThrottles = routeThrottles
    }
}
