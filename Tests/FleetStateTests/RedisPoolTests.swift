import FleetState
import NIOCore
import NIOPosix
import Redis
import StoreTestSupport
import Testing

@Suite(.enabled(if: RedisServer.available, "redis-server is not installed (.ci/run installs it)"))
struct RedisPoolTests {
    static func clientID(_ pool: RedisPool, on loop: EventLoop) async throws -> Int64 {
        try #require(try await pool.send(["CLIENT", "ID"], on: loop).get().integer)
    }

    @Test func eachLoopHasItsOwnConnectionsUsedInTurn() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loops = Array(group.makeIterator())
        let pool = RedisPool(url: RedisURL(host: "127.0.0.1", port: server.port), connectionsPerLoop: 2)
        var first: [Int64] = []
        var second: [Int64] = []
        for _ in 0..<4 { first.append(try await Self.clientID(pool, on: loops[0])) }
        for _ in 0..<4 { second.append(try await Self.clientID(pool, on: loops[1])) }
        // Two connections per loop, taken in turn; none shared between loops.
        #expect(Set(first).count == 2 && first[0] == first[2] && first[1] == first[3])
        #expect(Set(second).count == 2 && Set(first).isDisjoint(with: second))
        await pool.close()
        await #expect(throws: RedisClientError.connectionClosed) { try await pool.send(["PING"], on: loops[0]).get() }
        try await group.shutdownGracefully()
    }

    @Test func aConnectionTheServerDroppedIsReplacedOnNextUse() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let pool = RedisPool(url: RedisURL(host: "127.0.0.1", port: server.port))
        let before = try await Self.clientID(pool, on: loop)
        let admin = try await RedisConnection.connect(to: RedisURL(host: "127.0.0.1", port: server.port), on: loop)
        #expect(try await admin.send("CLIENT", "KILL", "ID", .integer(before)).integer == 1)
        await admin.close()
        // The killed connection's close reaches the client; the command after it gets a new connection.
        var after: Int64?
        for _ in 0..<50 where after == nil {
            after = try? await Self.clientID(pool, on: loop)
            if after == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(after != nil && after != before)
        await pool.close()
    }

    /// Commands sent in one loop tick leave in one write and come back in order.
    @Test func commandsOfOneTickArePipelinedAndAnsweredInOrder() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let pool = RedisPool(url: RedisURL(host: "127.0.0.1", port: server.port))
        _ = try await pool.send(["PING"], on: loop).get()  // connected
        let replies = try await loop.flatSubmit {
            let futures = (0..<1000).map { i in pool.send(["ECHO", .integer(Int64(i))], on: loop) }
            return EventLoopFuture.whenAllSucceed(futures, on: loop)
        }.get()
        #expect(replies.map(\.string) == (0..<1000).map { String($0) })
        await pool.close()
    }

    @Test func aScriptIsLoadedOnConnectSoTheFirstCallNeedsNoRetry() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let script = RedisScript("return 'loaded'")
        let pool = RedisPool(url: RedisURL(host: "127.0.0.1", port: server.port), scripts: [script])
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        #expect(try await pool.evaluate(script, keys: [], arguments: [], on: loop).get().string == "loaded")
        let stats = try await pool.send(["INFO", "commandstats"], on: loop).get().string ?? ""
        // One EVALSHA, answered at once: no NOSCRIPT error was ever sent back.
        #expect(stats.contains("cmdstat_evalsha:calls=1,") && stats.contains("failed_calls=0"))
        #expect(!stats.contains("cmdstat_evalsha:calls=2"))
        await pool.close()
    }
}
