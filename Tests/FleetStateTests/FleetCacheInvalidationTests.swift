import FleetState
import Redis
import StoreTestSupport
import Synchronization
import Testing

@Suite(.enabled(if: RedisServer.available, "redis-server is not installed (.ci/run installs it)"))
struct FleetCacheInvalidationTests {
    static func invalidation(_ port: Int, _ id: String, user: String? = nil, password: String? = nil) -> FleetCacheInvalidation {
        let url = RedisURL(host: "127.0.0.1", port: port, username: user, password: password)
        return FleetCacheInvalidation(url: url, pool: RedisPool(url: url), keyPrefix: "inv:", instanceID: id)
    }

    @Test func anotherInstancesFlushArrivesAndOurOwnIsSkipped() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let a = Self.invalidation(server.port, "a"), b = Self.invalidation(server.port, "b")
        let flushedAtB = Recorder<FleetCacheInvalidation.Scope>()
        let subscribed = Recorder<Bool>()
        let running = Task { await b.run(flush: { flushedAtB.append($0) }, subscribed: { subscribed.append(true) }) }
        for _ in 0..<100 where subscribed.values.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        // Only b is subscribed: each message reaches one instance.
        #expect(await a.publish(.init(api: "shop", route: "GET /items/{id}")) == 1)
        #expect(await b.publish(.init(api: "own", route: nil)) == 1)  // b's own message: b flushed already
        #expect(await a.publish(.everything) == 1)
        for _ in 0..<100 where flushedAtB.values.count < 2 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(flushedAtB.values == [.init(api: "shop", route: "GET /items/{id}"), .everything])
        await b.stop()
        await running.value
    }

    /// A user Redis does not let subscribe: no confirmation, so no resubscription flush loop; back-off instead.
    @Test func aRefusedSubscriptionNeitherFlushesNorSpins() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let admin = try await RedisConnection.connect(to: RedisURL(host: "127.0.0.1", port: server.port),
                                                      on: RedisPool.currentOrAnyLoop())
        #expect(try await admin.send("ACL", "SETUSER", "nosub", "on", ">pw", "~*", "resetchannels", "+@all") == .simpleString("OK"))
        let flushes = Recorder<FleetCacheInvalidation.Scope>()
        let subscribed = Recorder<Bool>()
        let invalidation = Self.invalidation(server.port, "x", user: "nosub", password: "pw")
        let running = Task { await invalidation.run(flush: { flushes.append($0) }, subscribed: { subscribed.append(true) }) }
        try await Task.sleep(for: .milliseconds(1500))
        await invalidation.stop()
        await running.value
        #expect(subscribed.values.isEmpty && flushes.values.isEmpty)
        // Back-off (50 ms doubling): a handful of attempts in 1.5 s, not one every few milliseconds.
        let info = try await admin.send("INFO", "stats").string ?? ""
        let connections = info.split(separator: "\r\n").first { $0.hasPrefix("total_connections_received:") }
        let count = Int(connections?.split(separator: ":").last ?? "") ?? 0
        #expect(count > 1 && count < 12, "\(count) connections")
        await admin.close()
    }
}
