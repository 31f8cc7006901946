import FleetState
import GatewayCore
import Redis
import StoreTestSupport
import Testing

@Suite(.enabled(if: RedisServer.available, "redis-server is not installed (.ci/run installs it)"))
struct RedisRateWindowStoreTests {
    static func store(_ server: RedisServer, prefix: String = "w\(UInt32.random(in: 0...UInt32.max)):",
                      clock: RedisLimitStore.ClockSource = .caller) -> RedisRateWindowStore {
        let settings = RedisStateSettings(url: "redis://127.0.0.1:\(server.port)", budget: .seconds(1), keyPrefix: prefix)
        let pool = RedisPool(url: RedisURL(host: "127.0.0.1", port: server.port), scripts: RedisLimitStore.scripts)
        return RedisRateWindowStore(pool: pool, availability: RedisAvailability(pool: pool, budget: .seconds(1)),
                                    settings: settings, clockSource: clock)
    }

    @Test func passesTheStoreConformanceSuite() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        // A round trip per request: a shorter random run than the memory store's, the same checks.
        try await RateWindowStoreConformance.run("redis", requests: 3000) { Self.store(server) }
    }

    /// A flood of distinct keys keeps at most `maxTrackedKeys` of them (and their windows) in Redis.
    @Test func distinctKeysStayWithinTheTrackedBound() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let store = Self.store(server, prefix: "bound:")
        let handle = store.window(for: RateRuleID(rule: "flood", key: "ip", windowNanoseconds: 60_000_000_000),
                                  maxTrackedKeys: 50)
        for n in 0..<400 {
            let address = IPAddress(ipv4: (10, 0, UInt8(n >> 8), UInt8(n & 255)))
            let hit = RateHit(window: handle, key: .address(address), label: nil, limit: 10, countsRefused: false, decides: true)
            _ = try await RateWindowStoreConformance.record(store, [hit], at: 1_800_000_000_000_000_000)
        }
        let connection = try await RedisConnection.connect(to: RedisURL(host: "127.0.0.1", port: server.port),
                                                           on: RedisPool.currentOrAnyLoop())
        let windows = try await connection.send("KEYS", "bound:w:*")
        #expect(windows.array?.count == 50)
        #expect(try await connection.send("ZCARD", "bound:wk:flood|ip|60000000000").integer == 50)
        // The newest keys are the ones kept.
        #expect(try await connection.send("EXISTS", "bound:w:flood|ip|60000000000:a:10.0.1.143").integer == 1)
        await connection.close()
    }

    /// Two instances (two stores, two pools) count into one window on the server's clock.
    @Test func twoInstancesShareOneWindow() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let a = Self.store(server, prefix: "shared:", clock: .server)
        let b = Self.store(server, prefix: "shared:", clock: .server)
        var blocked = 0
        for i in 0..<20 {
            let store = i % 2 == 0 ? a : b
            let hit = RateWindowStoreConformance.hit(store, "client", limit: 7)
            if try await RateWindowStoreConformance.record(store, [hit], at: 0).decidingHit != nil { blocked += 1 }
        }
        #expect(blocked == 13)
    }
}

/// `onUnavailable` for rate rules: Redis killed mid-run.
@Suite(.enabled(if: RedisServer.available, "redis-server is not installed (.ci/run installs it)"))
struct UnavailableRateWindowTests {
    @Test(arguments: [RedisStateSettings.UnavailablePolicy.deny, .allow, .local])
    func redisKilled(policy: RedisStateSettings.UnavailablePolicy) async throws {
        let server = try await RedisServer.start()
        let settings = RedisStateSettings(url: "redis://127.0.0.1:\(server.port)", onUnavailable: policy,
                                          budget: .seconds(1), keyPrefix: "down:")
        let pool = RedisPool(url: RedisURL(host: "127.0.0.1", port: server.port), scripts: RedisLimitStore.scripts)
        let availability = RedisAvailability(pool: pool, budget: .seconds(1))
        defer { availability.stop() }
        let store = RedisRateWindowStore(pool: pool, availability: availability, settings: settings)
        let hit = RateWindowStoreConformance.hit(store, "client", limit: 4)
        #expect(try await RateWindowStoreConformance.record(store, [hit], at: SystemClock().now()).decidingHit == nil)
        server.stop()
        var blocked: [Bool] = []
        for _ in 0..<6 {
            blocked.append(try await RateWindowStoreConformance.record(store, [hit], at: SystemClock().now()).decidingHit != nil)
        }
        #expect(!availability.isAvailable)
        switch policy {
        case .deny: #expect(blocked == Array(repeating: true, count: 6))
        case .allow: #expect(blocked == Array(repeating: false, count: 6))
        // One live instance (no heartbeat here): the whole limit, counted afresh in memory.
        case .local: #expect(blocked == [false, false, false, false, true, true])
        }
    }
}

@Suite(.enabled(if: RedisServer.available, "redis-server is not installed (.ci/run installs it)"))
struct RedisRateWindowEdgeTests {
    /// A 1 s window has slots of 7,812.5 µs; rounded down, 128 of them would be 64 µs short and a key could be
    /// released early. Hit at the very end of a slot, then look just before the window has passed: still counted.
    @Test func aKeyIsNeverReleasedBeforeItsWindowHasPassed() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let store = RedisRateWindowStoreTests.store(server)
        let handle = store.window(for: RateRuleID(rule: "short", key: "ip", windowNanoseconds: 1_000_000_000),
                                  maxTrackedKeys: 10)
        let hit = RateHit(window: handle, key: .text("k"), label: nil, limit: 1, countsRefused: false, decides: true)
        let hitAt: EpochNanoseconds = (1_800_000_000_000_000 / 7812 * 7812 + 7811) * 1000
        #expect(try await RateWindowStoreConformance.record(store, [hit], at: hitAt).decidingHit == nil)
        let justBefore = hitAt + 999_990_000
        #expect(try await RateWindowStoreConformance.record(store, [hit], at: justBefore).decidingHit == 0)
    }
}

@Suite(.enabled(if: RedisServer.available, "redis-server is not installed (.ci/run installs it)"))
struct LocalRateShareTests {
    /// Two outages: the second starts with the whole local limit again, not with what the first one counted.
    @Test func eachOutageCountsLocallyAfresh() async throws {
        let server = try await RedisServer.start()
        let settings = RedisStateSettings(url: "redis://127.0.0.1:\(server.port)", onUnavailable: .local,
                                          budget: .seconds(1), keyPrefix: "again:")
        let pool = RedisPool(url: RedisURL(host: "127.0.0.1", port: server.port), scripts: RedisLimitStore.scripts)
        let availability = RedisAvailability(pool: pool, budget: .seconds(1))
        defer { availability.stop() }
        let store = RedisRateWindowStore(pool: pool, availability: availability, settings: settings)
        let hit = RateWindowStoreConformance.hit(store, "client", limit: 3)
        func blockedDuringOutage() async throws -> [Bool] {
            var blocked: [Bool] = []
            for _ in 0..<4 {
                blocked.append(try await RateWindowStoreConformance.record(store, [hit], at: SystemClock().now()).decidingHit != nil)
            }
            return blocked
        }
        server.stop()
        #expect(try await blockedDuringOutage() == [false, false, false, true])
        let restarted = try await RedisServer.start(port: server.port)
        for _ in 0..<200 where !availability.isAvailable { try await Task.sleep(for: .milliseconds(25)) }
        try await Task.sleep(for: .milliseconds(100))  // the recovery work runs before the next outage
        #expect(availability.isAvailable)
        restarted.stop()
        #expect(try await blockedDuringOutage() == [false, false, false, true])
    }
}
