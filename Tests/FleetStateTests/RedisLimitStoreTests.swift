import FleetState
import GatewayCore
import NIOCore
import NIOPosix
import Redis
import StoreTestSupport
import Testing

@Suite(.enabled(if: RedisServer.available, "redis-server is not installed (.ci/run installs it)"))
struct RedisLimitStoreTests {
    /// A store on `server` whose keys no other test shares. The budget is generous: these tests are about what Redis
    /// decides, and a loaded machine (a build beside them) once let a 500 ms budget lapse into the local share.
    static func store(_ server: RedisServer, policy: RedisStateSettings.UnavailablePolicy = .local,
                      clock: RedisLimitStore.ClockSource = .caller, budget: Duration = .seconds(5),
                      prefix: String = "t\(UInt32.random(in: 0...UInt32.max)):") -> RedisLimitStore {
        let settings = RedisStateSettings(url: "redis://127.0.0.1:\(server.port)", onUnavailable: policy,
                                          budget: budget, keyPrefix: prefix)
        let pool = RedisPool(url: RedisURL(host: "127.0.0.1", port: server.port), scripts: RedisLimitStore.scripts)
        let availability = RedisAvailability(pool: pool, budget: budget)
        return RedisLimitStore(pool: pool, availability: availability, settings: settings, clockSource: clock)
    }

    @Test func passesTheStoreConformanceSuite() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        try await LimitStoreConformance.run("redis") { Self.store(server) }
    }

    /// On the server's clock, the instants instances pass in do not matter: one far behind and one far ahead
    /// share one bucket exactly.
    @Test func theServersClockDecidesNotTheInstances() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let prefix = "skew:"
        let behind = Self.store(server, clock: .server, prefix: prefix)
        let ahead = Self.store(server, clock: .server, prefix: prefix)
        let throttle = Throttle(rateMilli: 1, burst: 4)  // one token per 1000 s: no refill during the test
        let a = LimitRequest(routeBuckets: [behind.bucket(LimitID("shared"), throttle: throttle, policy: .route)])
        let b = LimitRequest(routeBuckets: [ahead.bucket(LimitID("shared"), throttle: throttle, policy: .route)])
        let second = LimitStoreConformance.second
        var verdicts: [LimitOutcome.Verdict] = []
        for i in 0..<6 {
            let useAhead = i % 2 == 1
            let outcome = try await LimitStoreConformance.acquire(
                useAhead ? ahead : behind, useAhead ? b : a,
                at: useAhead ? LimitStoreConformance.now + 3600 * second : 86_400 * second)
            verdicts.append(outcome.verdict)
        }
        #expect(verdicts == [.admitted, .admitted, .admitted, .admitted, .throttled, .throttled])
    }
}
