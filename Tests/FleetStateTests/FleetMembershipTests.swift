import FleetState
import GatewayCore
import Redis
import StoreTestSupport
import Testing

@Suite(.enabled(if: RedisServer.available, "redis-server is not installed (.ci/run installs it)"))
struct FleetMembershipTests {
    static func member(_ port: Int, _ id: String) -> (FleetMembership, RedisPool, RedisAvailability) {
        let pool = RedisPool(url: RedisURL(host: "127.0.0.1", port: port), scripts: RedisLimitStore.scripts)
        let availability = RedisAvailability(pool: pool, budget: .milliseconds(50))
        return (FleetMembership(pool: pool, availability: availability, keyPrefix: "fleet:", instanceID: id), pool,
                availability)
    }

    @Test func heartbeatsCountTheLiveInstancesAndALeaverIsGoneAtOnce() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let (a, _, _) = Self.member(server.port, "a")
        let (b, _, _) = Self.member(server.port, "b")
        #expect(await a.beat() && a.liveInstances == 1)
        #expect(await b.beat() && b.liveInstances == 2)
        #expect(await a.beat() && a.liveInstances == 2)
        await b.leave()
        #expect(await a.beat() && a.liveInstances == 1)
    }

    /// Two live instances and Redis gone: each admits half the burst on its own.
    @Test func theLocalShareIsTheLimitOverTheLiveInstances() async throws {
        let server = try await RedisServer.start()
        let (a, pool, availability) = Self.member(server.port, "a")
        let (b, _, _) = Self.member(server.port, "b")
        #expect(await b.beat())
        #expect(await a.beat() && a.liveInstances == 2)
        let store = RedisLimitStore(pool: pool, availability: availability,
                                    settings: RedisStateSettings(url: "redis://127.0.0.1:\(server.port)", keyPrefix: "share:"),
                                    fleet: a)
        let throttle = Throttle(rateMilli: 1, burst: 10)
        let request = LimitRequest(routeBuckets: [store.bucket(LimitID("b"), throttle: throttle, policy: .route)])
        server.stop()
        var admitted = 0
        for _ in 0..<10 {
            let outcome = try await LimitStoreConformance.acquire(store, request, at: SystemClock().now())
            if outcome.verdict == .admitted { admitted += 1 }
        }
        #expect(admitted == 5)
        availability.stop()
    }
}
