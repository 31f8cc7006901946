import GatewayCore
import NIOCore
import Redis

/// Everything an instance runs to be part of a fleet sharing one Redis: the connection pool, Redis's
/// availability, the heartbeat, the limit and rate-window stores, cache invalidation and the queues. Built from `state` when the config says
/// `"store": "redis"`; started with the gateway and stopped with it.
public final class Fleet: Sendable {
    public let settings: RedisStateSettings
    public let instanceID: String
    public let pool: RedisPool
    public let availability: RedisAvailability
    public let membership: FleetMembership
    public let limits: RedisLimitStore
    public let rateWindows: RedisRateWindowStore
    public let cacheInvalidation: FleetCacheInvalidation
    /// The queues, as Redis Streams every instance's consumers share.
    public let queues: RedisQueueStore

    /// nil when the URL does not parse (the config compiler has already said why).
    public init?(settings: RedisStateSettings, instanceID: String = Fleet.newInstanceID(), clock: any GatewayClock = SystemClock()) {
        guard case .success(let url) = RedisURL.parse(settings.url) else { return nil }
        self.settings = settings
        self.instanceID = instanceID
        pool = RedisPool(url: url, scripts: RedisLimitStore.scripts + QueueScripts.all)
        availability = RedisAvailability(pool: pool, budget: settings.budget)
        membership = FleetMembership(pool: pool, availability: availability, keyPrefix: settings.keyPrefix,
                                     instanceID: instanceID)
        limits = RedisLimitStore(pool: pool, availability: availability, settings: settings, fleet: membership,
                                 clock: clock)
        rateWindows = RedisRateWindowStore(pool: pool, availability: availability, settings: settings, fleet: membership)
        cacheInvalidation = FleetCacheInvalidation(url: url, pool: pool, keyPrefix: settings.keyPrefix,
                                                   instanceID: instanceID)
        queues = RedisQueueStore(pool: pool, keyPrefix: settings.keyPrefix, consumerName: instanceID, clock: clock)
    }

    /// A random id for this process's heartbeat.
    public static func newInstanceID() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }

    /// Joins the fleet (one heartbeat before the first request, so the local share starts right), then keeps
    /// beating until the returned task is cancelled.
    public func join() async -> Task<Void, Never> {
        await membership.beat()
        return Task { await membership.run() }
    }

    /// Leaves the fleet and closes every connection: the fleet's tasks end first (awaited, so no heartbeat lands
    /// after the leave), then the instance leaves the member set at once rather than when its heartbeat expires.
    public func leave(tasks: [Task<Void, Never>]) async {
        availability.stop()
        await cacheInvalidation.stop()
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        await membership.leave()
        await pool.close()
    }
}
