import FleetState
import GatewayCore
import NIOCore
import NIOPosix
import Redis
import StoreTestSupport
import Synchronization
import Testing

/// Decisions one event loop makes in one tick go to Redis as one script call, and each still gets its own answer.
@Suite(.enabled(if: RedisServer.available, "redis-server is not installed (.ci/run installs it)"))
struct TickBatchingTests {
    /// Starts every operation inside one task on `loop` (one tick) and collects the results.
    static func startInOneTick(_ operations: [any PendingOperation], on loop: EventLoop) async throws -> [OperationResult] {
        let results = Recorder<(Int, OperationResult)>()
        let boxed = operations.map { OperationBox($0) }
        try await loop.submit {
            for (index, box) in boxed.enumerated() {
                box.operation.start { results.append((index, $0)) }
            }
        }.get()
        for _ in 0..<200 where results.values.count < operations.count { try await Task.sleep(for: .milliseconds(10)) }
        return results.values.sorted { $0.0 < $1.0 }.map(\.1)
    }

    static func evalshaCalls(_ server: RedisServer) async throws -> Int {
        let connection = try await RedisConnection.connect(to: RedisURL(host: "127.0.0.1", port: server.port),
                                                           on: RedisPool.currentOrAnyLoop())
        defer { Task { await connection.close() } }
        let stats = try await connection.send("INFO", "commandstats").string ?? ""
        let line = stats.split(separator: "\r\n").first { $0.hasPrefix("cmdstat_evalsha:") } ?? ""
        return Int(line.split(separator: "=")[1].split(separator: ",")[0]) ?? -1
    }

    @Test func limitDecisionsOfOneTickShareOneCall() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let store = RedisLimitStoreTests.store(server)
        let bucket = store.bucket(LimitID("tick"), throttle: Throttle(rateMilli: 1, burst: 30), policy: .route)
        let request = LimitRequest(routeBuckets: [bucket])
        let operations: [any PendingOperation] = (0..<50).map { _ in
            guard case .pending(let operation) = store.acquire(request, now: LimitStoreConformance.now) else {
                fatalError("a Redis store answers later")
            }
            return operation
        }
        let results = try await Self.startInOneTick(operations, on: MultiThreadedEventLoopGroup.singleton.any())
        let verdicts = results.compactMap { (try? $0.get()) as? LimitOutcome }.map(\.verdict)
        #expect(verdicts == Array(repeating: .admitted, count: 30) + Array(repeating: .throttled, count: 20))
        #expect(try await Self.evalshaCalls(server) == 1)
    }

    /// A tick's requests of three shapes (sharing a plan bucket and a quota across shapes) go as three groups of
    /// one call, and each request gets exactly what the memory store answers when it meets them group by group:
    /// verdicts, retry times, and every bucket's and the quota's state after its own turn.
    @Test func groupedDecisionsAnswerEachRequestAsTheMemoryStoreWould() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let redis = RedisLimitStoreTests.store(server)
        let memory = MemoryLimitStore()
        func shapes(_ store: any LimitStore) -> [LimitRequest] {
            let a = store.bucket(LimitID("a"), throttle: Throttle(rateMilli: 2000, burst: 5), policy: .route)
            let b = store.bucket(LimitID("b"), throttle: Throttle(rateMilli: 500, burst: 3), policy: .route)
            let plan = store.bucket(LimitID("plan"), throttle: Throttle(rateMilli: 1000, burst: 6), policy: .plan)
            let quota = store.quota(LimitID("quota"), quota: Quota(limit: 7, period: .day))
            return [LimitRequest(routeBuckets: [a]), LimitRequest(routeBuckets: [a], planBucket: plan, quota: quota),
                    LimitRequest(routeBuckets: [b], planBucket: plan)]
        }
        let order = (0..<30).map { [0, 1, 2, 1, 0, 2, 2][$0 % 7] }
        let redisShapes = shapes(redis)
        let operations: [any PendingOperation] = order.map { shape in
            guard case .pending(let operation) = redis.acquire(redisShapes[shape], now: LimitStoreConformance.now) else {
                fatalError("a Redis store answers later")
            }
            return operation
        }
        let results = try await Self.startInOneTick(operations, on: MultiThreadedEventLoopGroup.singleton.any())
        let outcomes = try results.map { try #require(try $0.get() as? LimitOutcome) }
        #expect(try await Self.evalshaCalls(server) == 1)

        // The groups in the order their first request came: 0, 1, 2.
        let memoryShapes = shapes(memory)
        var expected = [LimitOutcome?](repeating: nil, count: order.count)
        for shape in 0..<3 {
            for (index, requestShape) in order.enumerated() where requestShape == shape {
                expected[index] = try await LimitStoreConformance.acquire(memory, memoryShapes[shape],
                                                                          at: LimitStoreConformance.now)
            }
        }
        #expect(outcomes == expected.map { $0! })
        // a's five tokens all go to the first group, so the second (needing a too) gets none; b admits three.
        #expect(outcomes.filter { $0.verdict == .admitted }.count == 5 + 0 + 3)
    }

    @Test func rateDecisionsOfOneTickShareOneCall() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let store = RedisRateWindowStoreTests.store(server)
        let hit = RateWindowStoreConformance.hit(store, "client", limit: 30)
        let operations: [any PendingOperation] = (0..<50).map { _ in
            guard case .pending(let operation) = store.record([hit], now: 1_800_000_000_000_000_000) else {
                fatalError("a Redis store answers later")
            }
            return operation
        }
        let results = try await Self.startInOneTick(operations, on: MultiThreadedEventLoopGroup.singleton.any())
        let blocked = results.compactMap { (try? $0.get()) as? RateRecord }.map { $0.decidingHit != nil }
        #expect(blocked == Array(repeating: false, count: 30) + Array(repeating: true, count: 20))
        #expect(try await Self.evalshaCalls(server) == 1)
    }
}

/// Carries a non-Sendable operation into the loop's task (it is only touched there).
final class OperationBox: @unchecked Sendable {
    // Safe: created before the submit and used only inside the one task that runs on the loop; never shared.
    let operation: any PendingOperation
    init(_ operation: any PendingOperation) { self.operation = operation }
}
