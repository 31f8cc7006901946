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
