import StoreTestSupport
import NIOCore
import NIOPosix
import Redis
import Testing

@Suite(.enabled(if: RedisServer.available, "redis-server is not installed (.ci/run installs it)"))
struct RedisConnectionTests {
    let loop = MultiThreadedEventLoopGroup.singleton.next()

    func withServer(password: String? = nil, _ body: (RedisServer) async throws -> Void) async throws {
        let server = try await RedisServer.start(password: password)
        defer { server.stop() }
        try await body(server)
    }

    @Test func commandsAndReplies() async throws {
        try await withServer { server in
            let redis = try await RedisConnection.connect(to: RedisURL(host: "127.0.0.1", port: server.port), on: loop)
            #expect(try await redis.send("SET", "greeting", "hola") == .simpleString("OK"))
            #expect(try await redis.send("GET", "greeting").string == "hola")
            #expect(try await redis.send("GET", "missing") == .null)
            #expect(try await redis.send("INCRBY", "n", 5) == .integer(5))
            #expect(try await redis.send("NOSUCHCOMMAND").isError, "an error reply is a reply, not a failure")
            await redis.close()
        }
    }

    @Test func pipelinedRepliesReachTheirCommandsInOrder() async throws {
        try await withServer { server in
            let redis = try await RedisConnection.connect(to: RedisURL(host: "127.0.0.1", port: server.port), on: loop)
            let futures = (0..<2000).map { _ in redis.send(["INCR", "counter"]) }
            var values: [Int64] = []
            for future in futures { values.append(try await future.get().integer ?? -1) }
            #expect(values == Array(1...2000))
            await redis.close()
        }
    }

    @Test func authAndDatabaseComeFromTheURL() async throws {
        try await withServer(password: "s3cret") { server in
            let url = try RedisURL.parse("redis://:s3cret@127.0.0.1:\(server.port)/3").get()
            let redis = try await RedisConnection.connect(to: url, on: loop)
            _ = try await redis.send("SET", "k", "in db 3")
            let other = try await RedisConnection.connect(to: try RedisURL.parse("redis://:s3cret@127.0.0.1:\(server.port)").get(),
                                                          on: loop)
            #expect(try await other.send("GET", "k") == .null, "database 0 does not see database 3")
            #expect(try await other.send("SELECT", 3) == .simpleString("OK"))
            #expect(try await other.send("GET", "k").string == "in db 3")
            await redis.close()
            await other.close()

            await #expect(throws: RedisClientError.self) {
                _ = try await RedisConnection.connect(to: try RedisURL.parse("redis://:wrong@127.0.0.1:\(server.port)").get(),
                                                      on: loop)
            }
        }
    }

    @Test func scriptsRunBySHAAndAreLoadedWhenTheServerLacksThem() async throws {
        try await withServer { server in
            let redis = try await RedisConnection.connect(to: RedisURL(host: "127.0.0.1", port: server.port), on: loop)
            let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
            #expect(try await redis.evaluate(script, keys: ["hits"], arguments: [3]) == .integer(3))
            #expect(try await redis.send("SCRIPT", "EXISTS", .string(script.sha1)) == .array([.integer(1)]))
            _ = try await redis.send("SCRIPT", "FLUSH")
            #expect(try await redis.evaluate(script, keys: ["hits"], arguments: [4]) == .integer(7), "reloaded after a flush")
            await redis.close()
        }
    }

    @Test func aServerThatGoesAwayFailsWhatIsPendingAndLaterCommands() async throws {
        let server = try await RedisServer.start()
        let redis = try await RedisConnection.connect(to: RedisURL(host: "127.0.0.1", port: server.port), on: loop)
        let blocked = redis.send(["BLPOP", "never", "0"])  // no reply until the server stops
        server.stop()
        await #expect(throws: RedisClientError.self) { _ = try await blocked.get() }
        await #expect(throws: (any Error).self) { _ = try await redis.send("PING") }
    }

    @Test func aLateReplyTimesOutAndClosesTheConnection() async throws {
        try await withServer { server in
            var options = RedisConnection.Options()
            options.commandTimeout = .milliseconds(200)
            let redis = try await RedisConnection.connect(to: RedisURL(host: "127.0.0.1", port: server.port), on: loop,
                                                          options: options)
            let started = ContinuousClock.now
            await #expect(throws: RedisClientError.timedOut) { _ = try await redis.send("BLPOP", "never", "0") }
            #expect(ContinuousClock.now - started < .seconds(2))
            await #expect(throws: (any Error).self) { _ = try await redis.send("PING") }
        }
    }
}
