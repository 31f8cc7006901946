@testable import FleetState
import Foundation
import GatewayCore
import NIOCore
import Redis
import StoreTestSupport
import Synchronization
import Testing

/// The queues of a fleet on a real redis-server: SQS's semantics (visibility timeout, receive counts, dead letters,
/// redrive, delay, retention, idempotency) from Redis Streams, and two instances sharing one queue.
@Suite(.enabled(if: RedisServer.available, "redis-server is not installed (.ci/run installs it)"))
struct RedisQueueStoreTests {
    static let millisecond: Int64 = 1_000_000

    static func store(_ server: RedisServer, prefix: String, consumer: String = "a",
                      idleConsumerLifetime: Int64 = 3600 * QueueSettings.second,
                      _ definitions: [QueueDefinition]) -> RedisQueueStore {
        let pool = RedisPool(url: RedisURL(host: "127.0.0.1", port: server.port))
        let store = RedisQueueStore(pool: pool, keyPrefix: prefix, consumerName: consumer,
                                    idleConsumerLifetime: idleConsumerLifetime)
        store.define(definitions)
        return store
    }

    static func prefix() -> String { "q\(UInt32.random(in: 0...UInt32.max)):" }

    static func withServer(_ body: (RedisServer) async throws -> Void) async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        try await body(server)
    }

    /// What must hold until `deadline` (a delay, a visibility timeout), checked only while it has not passed: a
    /// loaded machine may reach the check late, and the time having passed is no failure of the store.
    static func untilDeadline(_ deadline: ContinuousClock.Instant, _ check: () async throws -> Bool,
                              sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let holds = try await check()
        if ContinuousClock.now < deadline { #expect(holds, sourceLocation: sourceLocation) }
    }

    /// Receives until something comes (at most 10 s).
    static func receiveEventually(_ store: RedisQueueStore, _ queue: String) async throws -> [Delivery] {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let batch = try await store.receive(queue, max: 10)
            if !batch.isEmpty { return batch }
            try await Task.sleep(for: .milliseconds(20))
        }
        return []
    }

    static func statistics(_ store: RedisQueueStore, _ queue: String) async throws -> QueueStatistics {
        try #require(try await store.summaries().first { $0.name == queue }).statistics
    }

    @Test func aMessageIsReceivedInvisibleThenDeleted() async throws {
        try await Self.withServer { server in
            let store = Self.store(server, prefix: Self.prefix(), [QueueDefinition(name: "orders")])
            let id = try await store.send("orders", body: Array(#"{"order": 1}"#.utf8))
            let waiting = try await Self.statistics(store, "orders")
            #expect(waiting.visible == 1 && waiting.inFlight == 0 && waiting.delayed == 0)
            #expect(waiting.oldestAgeNanoseconds >= 0 && waiting.oldestAgeNanoseconds < 5 * QueueSettings.second)
            let batch = try await store.receive("orders", max: 10)
            #expect(batch.map(\.message.id) == [id])
            #expect(batch[0].message.body == Array(#"{"order": 1}"#.utf8))
            #expect(batch[0].message.receiveCount == 1 && batch[0].receipt.generation == 1)
            #expect(batch[0].message.firstReceivedAt != nil)
            #expect(abs(batch[0].message.sentAt - SystemClock().now()) < 5_000 * Self.millisecond)
            #expect(try await store.receive("orders", max: 10).isEmpty, "in flight: invisible to the next receive")
            #expect(try await Self.statistics(store, "orders").inFlight == 1)
            try await store.settle("orders", deleted: [batch[0].receipt], failed: [])
            let summary = try #require(try await store.summaries().first)
            #expect(summary.statistics == QueueStatistics())
            #expect(summary.counts == QueueCounts(sent: 1, received: 1, deleted: 1))
            await #expect(throws: QueueStoreError.unknownQueue("nope")) { try await store.send("nope", body: [1]) }
        }
    }

    @Test func aMessageComesBackAfterItsVisibilityTimeoutAndAStaleReceiptDoesNothing() async throws {
        try await Self.withServer { server in
            let settings = QueueSettings(visibilityTimeout: 300 * Self.millisecond)
            let store = Self.store(server, prefix: Self.prefix(), [QueueDefinition(name: "orders", settings: settings)])
            _ = try await store.send("orders", body: Array("x".utf8))
            let first = try await store.receive("orders", max: 1)
            try await Task.sleep(for: .milliseconds(400))
            let second = try await store.receive("orders", max: 1)
            #expect(second.map(\.message.receiveCount) == [2])
            #expect(second.first?.message.firstReceivedAt == first.first?.message.firstReceivedAt)
            // The first receive's receipt is stale: deleting with it leaves the message in flight.
            try await store.settle("orders", deleted: [first[0].receipt], failed: [])
            #expect(try await Self.statistics(store, "orders").inFlight == 1)
            try await store.settle("orders", deleted: [second[0].receipt], failed: [])
            #expect(try await Self.statistics(store, "orders") == QueueStatistics())
        }
    }

    @Test func pastMaxReceiveCountAMessageGoesToTheDeadLettersWithItsErrorAndARedriveBringsItBack() async throws {
        try await Self.withServer { server in
            let settings = QueueSettings(visibilityTimeout: 200 * Self.millisecond, maxReceiveCount: 2)
            let store = Self.store(server, prefix: Self.prefix(), [
                QueueDefinition(name: "orders", settings: settings, deadLetterQueue: "dlq"), QueueDefinition(name: "dlq"),
            ])
            let id = try await store.send("orders", body: Array("bad".utf8))
            _ = try await store.send("orders", body: Array("good".utf8))
            var batch = try await store.receive("orders", max: 10)
            #expect(batch.count == 2)
            let bad = try #require(batch.first { $0.message.id == id })
            let good = try #require(batch.first { $0.message.id != id })
            try await store.settle("orders", deleted: [good.receipt], failed: [(bad.receipt, "listed in batchItemFailures")])
            try await Task.sleep(for: .milliseconds(250))
            batch = try await store.receive("orders", max: 10)
            #expect(batch.map(\.message.receiveCount) == [2])
            #expect(batch.first?.message.lastError == "listed in batchItemFailures")
            try await store.settle("orders", deleted: [], failed: [(batch[0].receipt, "RuntimeError: boom")])
            try await Task.sleep(for: .milliseconds(250))
            #expect(try await store.receive("orders", max: 10).isEmpty, "received twice: moved, not delivered")
            let dead = try await store.peek("dlq", limit: 10)
            #expect(dead.map(\.id) == [id])
            #expect(dead.first?.receiveCount == 2 && dead.first?.lastError == "RuntimeError: boom")
            #expect(dead.first?.origin == "orders" && dead.first?.body == Array("bad".utf8))
            #expect(try await Self.statistics(store, "dlq").visible == 1)

            await #expect(throws: QueueStoreError.notADeadLetterQueue("orders")) { try await store.redrive("orders") }
            #expect(try await store.redrive("dlq") == 1)
            #expect(try await store.peek("dlq", limit: 10).isEmpty)
            let back = try await store.receive("orders", max: 10)
            #expect(back.map(\.message.id) == [id])
            #expect(back.first?.message.receiveCount == 1, "a redrive gives a fresh receive count")
            #expect(back.first?.message.lastError == "RuntimeError: boom", "and keeps the last error")
            #expect(try await store.purge("orders") == 1)
            #expect(try await Self.statistics(store, "orders") == QueueStatistics())
        }
    }

    @Test func aRedriveMovesMoreThanOneScriptCallsWorth() async throws {
        try await Self.withServer { server in
            let store = Self.store(server, prefix: Self.prefix(), [
                QueueDefinition(name: "orders", settings: QueueSettings(visibilityTimeout: 0, maxReceiveCount: 1),
                                deadLetterQueue: "dlq"),
                QueueDefinition(name: "dlq"),
            ])
            let count = RedisQueueStore.redriveBatch + 20
            for n in 0..<count { _ = try await store.send("orders", body: Array("\(n)".utf8)) }
            var received = 0
            while received < count { received += try await store.receive("orders", max: 100).count }
            #expect(try await store.receive("orders", max: 10_000).isEmpty)
            #expect(try await Self.statistics(store, "dlq").visible == count)
            #expect(try await store.redrive("dlq") == count)
            #expect(try await Self.statistics(store, "orders").visible == count)
        }
    }

    @Test func aDelayedMessageIsInvisibleUntilItsDelayEnds() async throws {
        try await Self.withServer { server in
            let store = Self.store(server, prefix: Self.prefix(), [
                QueueDefinition(name: "orders", settings: QueueSettings(delay: QueueSettings.second)),
            ])
            let sent = ContinuousClock.now
            let id = try await store.send("orders", body: Array("later".utf8))
            try await Self.untilDeadline(sent + .seconds(1)) { try await Self.statistics(store, "orders").delayed == 1 }
            #expect(try await store.peek("orders", limit: 5).map(\.id) == [id])
            try await Self.untilDeadline(sent + .seconds(1)) { try await store.receive("orders", max: 10).isEmpty }
            #expect(try await Self.receiveEventually(store, "orders").map(\.message.id) == [id])
            #expect(ContinuousClock.now - sent >= .seconds(1))
        }
    }

    @Test func aFailureWithARetryTimeComesBackThenNotAfterTheWholeVisibilityTimeout() async throws {
        try await Self.withServer { server in
            let store = Self.store(server, prefix: Self.prefix(), [
                QueueDefinition(name: "events", settings: QueueSettings(visibilityTimeout: 30 * QueueSettings.second)),
            ])
            _ = try await store.send("events", body: Array("{}".utf8))
            let first = try await store.receive("events", max: 1)
            let failed = ContinuousClock.now
            try await store.settle("events", deleted: [], failed: [(first[0].receipt, "Unhandled: x")],
                                   retryAt: store.clock.now() + QueueSettings.second)
            try await Self.untilDeadline(failed + .seconds(1)) { try await store.receive("events", max: 1).isEmpty }
            let retry = try await Self.receiveEventually(store, "events")
            #expect(ContinuousClock.now - failed < .seconds(10), "long before the 30 s visibility timeout")
            #expect(retry.map(\.message.receiveCount) == [2])
            #expect(retry.first?.message.lastError == "Unhandled: x")
        }
    }

    @Test func aReceiveKeepsToItsByteBudgetAndTheRestFollows() async throws {
        try await Self.withServer { server in
            let store = Self.store(server, prefix: Self.prefix(), [QueueDefinition(name: "big")])
            var ids: [String] = []
            for n in 0..<3 { ids.append(try await store.send("big", body: Array(repeating: UInt8(ascii: "a") + UInt8(n), count: 100))) }
            let first = try await store.receive("big", max: 10, maxBytes: 150)
            #expect(first.map(\.message.id) == [ids[0]])
            let second = try await store.receive("big", max: 10, maxBytes: 250)
            #expect(Set(second.map(\.message.id)) == Set(ids[1...]))
            #expect(second.allSatisfy { $0.message.receiveCount == 1 }, "a message put back was not received")
            #expect(try await store.receive("big", max: 10, maxBytes: 10).isEmpty)
        }
    }

    @Test func aMessagePastItsRetentionIsDropped() async throws {
        try await Self.withServer { server in
            let store = Self.store(server, prefix: Self.prefix(), [
                QueueDefinition(name: "short", settings: QueueSettings(retention: 200 * Self.millisecond)),
            ])
            _ = try await store.send("short", body: Array("old".utf8))
            _ = try await store.send("short", body: Array("old too".utf8))
            try await Task.sleep(for: .milliseconds(250))
            #expect(try await store.removeExpired() == 2, "dropped by the sweep, received or not")
            _ = try await store.send("short", body: Array("new".utf8))
            try await Task.sleep(for: .milliseconds(250))
            #expect(try await store.receive("short", max: 1).isEmpty, "expired at receive")
            #expect(try await Self.statistics(store, "short") == QueueStatistics())
        }
    }

    @Test func aRepeatedIdempotencyKeyGetsTheFirstIdOnAnyInstance() async throws {
        try await Self.withServer { server in
            let prefix = Self.prefix()
            let a = Self.store(server, prefix: prefix, consumer: "a", [QueueDefinition(name: "orders")])
            let b = Self.store(server, prefix: prefix, consumer: "b", [QueueDefinition(name: "orders")])
            func send(_ store: RedisQueueStore, key: String) async throws -> String {
                try await withCheckedThrowingContinuation { continuation in
                    store.send("orders", body: Array("o".utf8), id: MessageID.make(), idempotencyKey: key) {
                        continuation.resume(with: $0)
                    }
                }
            }
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for n in 0..<40 { group.addTask { try await send(n % 2 == 0 ? a : b, key: n % 4 < 2 ? "k1" : "k2") } }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(Set(ids).count == 2)
            #expect(try await Self.statistics(a, "orders").visible == 2)
        }
    }

    /// The sends of one event-loop tick go to Redis as one script call; a key repeated within it gets the first
    /// send's id.
    @Test func oneTicksSendsAreOneScriptCall() async throws {
        try await Self.withServer { server in
            let store = Self.store(server, prefix: Self.prefix(), [QueueDefinition(name: "orders"), QueueDefinition(name: "other")])
            _ = try await store.send("orders", body: Array("warm-up".utf8))  // loads the script
            let connection = try await RedisConnection.connect(to: RedisURL(host: "127.0.0.1", port: server.port),
                                                               on: RedisPool.currentOrAnyLoop())
            _ = try await connection.send("CONFIG", "RESETSTAT")
            let loop = RedisPool.currentOrAnyLoop()
            let results = Mutex<[Int: String]>([:])
            try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
                let left = Mutex(4)
                loop.execute {
                    for (n, (queue, key)) in [("orders", "k"), ("other", nil), ("orders", "k"), ("orders", nil)].enumerated() {
                        store.send(queue, body: Array("\(n)".utf8), id: MessageID.make(), idempotencyKey: key) { result in
                            if case .success(let id) = result { results.withLock { $0[n] = id } }
                            if left.withLock({ $0 -= 1; return $0 }) == 0 { done.resume() }
                        }
                    }
                }
            }
            let ids = results.withLock { $0 }
            #expect(ids.count == 4)
            #expect(ids[0] == ids[2], "the repeated key answers the first id")
            #expect(Set(ids.values).count == 3)
            let stats = try await connection.send("INFO", "commandstats").string ?? ""
            #expect(stats.contains("cmdstat_evalsha:calls=1,"), "\(stats)")
            await connection.close()
            #expect(try await Self.statistics(store, "orders").visible == 3)
            #expect(try await store.summaries().first { $0.name == "orders" }?.counts.sent == 3, "the repeat is not sent")
        }
    }

    /// Two instances drain one queue together: every message once, and both get some.
    @Test func twoInstancesShareOneQueue() async throws {
        try await Self.withServer { server in
            let prefix = Self.prefix()
            let a = Self.store(server, prefix: prefix, consumer: "a", [QueueDefinition(name: "orders")])
            let b = Self.store(server, prefix: prefix, consumer: "b", [QueueDefinition(name: "orders")])
            var sent = Set<String>()
            for n in 0..<200 { sent.insert(try await (n % 2 == 0 ? a : b).send("orders", body: Array("\(n)".utf8))) }
            func drain(_ store: RedisQueueStore) async throws -> [String] {
                var ids: [String] = []
                while true {
                    let batch = try await store.receive("orders", max: 7)
                    if batch.isEmpty { return ids }
                    ids += batch.map(\.message.id)
                    try await store.settle("orders", deleted: batch.map(\.receipt), failed: [])
                }
            }
            async let fromA = drain(a)
            async let fromB = drain(b)
            let (idsA, idsB) = try await (fromA, fromB)
            #expect(idsA.count + idsB.count == 200, "no message twice")
            #expect(Set(idsA + idsB) == sent)
            #expect(!idsA.isEmpty && !idsB.isEmpty)
            #expect(try await Self.statistics(a, "orders") == QueueStatistics())
        }
    }

    /// An instance that dies with a batch in flight: another claims it once the visibility timeout has passed.
    @Test func anotherInstanceClaimsWhatADeadInstanceHeld() async throws {
        try await Self.withServer { server in
            let prefix = Self.prefix()
            let definitions = [QueueDefinition(name: "orders", settings: QueueSettings(visibilityTimeout: QueueSettings.second))]
            let a = Self.store(server, prefix: prefix, consumer: "a", definitions)
            let b = Self.store(server, prefix: prefix, consumer: "b", definitions)
            let id = try await a.send("orders", body: Array("o".utf8))
            let received = ContinuousClock.now  // before: the visibility timeout starts when Redis takes the receive
            #expect(try await a.receive("orders", max: 10).count == 1)
            try await Self.untilDeadline(received + .seconds(1)) { try await b.receive("orders", max: 10).isEmpty }
            let claimed = try await Self.receiveEventually(b, "orders")
            #expect(ContinuousClock.now - received >= .seconds(1))
            #expect(claimed.map(\.message.id) == [id] && claimed[0].message.receiveCount == 2)
        }
    }

    /// Every process start is a new consumer: the sweep forgets those that hold nothing and went quiet.
    @Test func theSweepForgetsIdleConsumersThatHoldNothing() async throws {
        try await Self.withServer { server in
            let prefix = Self.prefix()
            let definitions = [QueueDefinition(name: "orders")]
            let gone = Self.store(server, prefix: prefix, consumer: "gone", idleConsumerLifetime: 100 * Self.millisecond, definitions)
            let holding = Self.store(server, prefix: prefix, consumer: "holding", definitions)
            _ = try await gone.send("orders", body: Array("1".utf8))
            let batch = try await gone.receive("orders", max: 1)
            try await gone.settle("orders", deleted: batch.map(\.receipt), failed: [])
            _ = try await holding.send("orders", body: Array("2".utf8))
            #expect(try await holding.receive("orders", max: 1).count == 1)
            try await Task.sleep(for: .milliseconds(150))
            _ = try await gone.removeExpired()
            let connection = try await RedisConnection.connect(to: RedisURL(host: "127.0.0.1", port: server.port),
                                                               on: RedisPool.currentOrAnyLoop())
            let consumers = try await connection.send("XINFO", "CONSUMERS", .string(prefix + "qs:orders"), "portcullis")
            let names = (consumers.array ?? []).compactMap { $0.array?[1].string }
            #expect(names == ["holding"], "the consumer with a message in flight stays")
            await connection.close()
        }
    }

    /// A backlog of expired messages is dropped a bounded slice per receive (a script never stalls the server),
    /// and the messages behind it are delivered.
    @Test func aBacklogOfExpiredMessagesIsDroppedInBoundedSlices() async throws {
        try await Self.withServer { server in
            let store = Self.store(server, prefix: Self.prefix(), [
                QueueDefinition(name: "old", settings: QueueSettings(retention: 300 * Self.millisecond)),
            ])
            for n in 0..<2500 { _ = try await store.send("old", body: Array("\(n)".utf8)) }
            try await Task.sleep(for: .milliseconds(350))
            let fresh = try await store.send("old", body: Array("fresh".utf8))
            #expect(try await store.receive("old", max: 10).isEmpty, "the first call looks at 1010 entries, all expired")
            var calls = 1, delivered: [Delivery] = []
            while delivered.isEmpty, calls < 10 {
                delivered = try await store.receive("old", max: 10)
                calls += 1
            }
            #expect(delivered.map(\.message.id) == [fresh])
            #expect(calls == 3)
        }
    }

    /// A queue with a delay and no consumer: a due message counts as visible, and the sweep moves it to the stream.
    @Test func dueDelayedMessagesAreVisibleWithoutAConsumer() async throws {
        try await Self.withServer { server in
            let prefix = Self.prefix()
            let store = Self.store(server, prefix: prefix, [
                QueueDefinition(name: "later", settings: QueueSettings(delay: QueueSettings.second)),
            ])
            let sent = ContinuousClock.now
            _ = try await store.send("later", body: Array("x".utf8))
            try await Self.untilDeadline(sent + .seconds(1)) { try await Self.statistics(store, "later").delayed == 1 }
            // Due a second after Redis took the send (which a loaded machine may have sent late): asked until then.
            var due = QueueStatistics()
            while ContinuousClock.now < sent + .seconds(10) {
                due = try await Self.statistics(store, "later")
                if due.visible == 1 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(due.visible == 1 && due.delayed == 0)
            #expect(ContinuousClock.now - sent >= .seconds(1))
            #expect(try await store.removeExpired() == 0)
            let connection = try await RedisConnection.connect(to: RedisURL(host: "127.0.0.1", port: server.port),
                                                               on: RedisPool.currentOrAnyLoop())
            #expect(try await connection.send("XLEN", .string(prefix + "qs:later")).integer == 1)
            #expect(try await connection.send("ZCARD", .string(prefix + "qd:later")).integer == 0)
            await connection.close()
        }
    }

    @Test func aPeekStaysWithinItsByteBound() async throws {
        try await Self.withServer { server in
            let store = Self.store(server, prefix: Self.prefix(), [QueueDefinition(name: "big")])
            let body = [UInt8](repeating: UInt8(ascii: "b"), count: MessageBody.maxBytes)
            for _ in 0..<70 { _ = try await store.send("big", body: body) }
            let peeked = try await store.peek("big", limit: 1000)
            #expect(peeked.count == RedisQueueStore.maxPeekBytes / MessageBody.maxBytes)
        }
    }

    /// Redis at maxmemory: sends fail (the route answers 503), and receives, deletes, promotions of due delayed
    /// messages and moves to the dead letters keep working, so the consumers drain what fills the server.
    @Test func atMaxmemorySendsFailAndTheQueueStillDrains() async throws {
        try await Self.withServer { server in
            let prefix = Self.prefix()
            let store = Self.store(server, prefix: prefix, [
                QueueDefinition(name: "orders", settings: QueueSettings(visibilityTimeout: 100 * Self.millisecond,
                                                                        maxReceiveCount: 1),
                                deadLetterQueue: "dlq"),
                QueueDefinition(name: "dlq"),
                QueueDefinition(name: "later", settings: QueueSettings(delay: 100 * Self.millisecond)),
            ])
            for n in 0..<20 { _ = try await store.send("orders", body: Array("\(n)".utf8)) }
            _ = try await store.send("later", body: Array("due soon".utf8))
            _ = try await store.send("dlq", body: Array("make the dead-letter stream exist".utf8))
            let failing = try await store.receive("orders", max: 1)
            let connection = try await RedisConnection.connect(to: RedisURL(host: "127.0.0.1", port: server.port),
                                                               on: RedisPool.currentOrAnyLoop())
            _ = try await connection.send("CONFIG", "SET", "maxmemory", "1")
            _ = try await connection.send("CONFIG", "SET", "maxmemory-policy", "noeviction")
            await #expect(throws: RedisQueueError.self) { try await store.send("orders", body: Array("more".utf8)) }
            try await Task.sleep(for: .milliseconds(150))
            var drained = 0
            while true {
                let batch = try await store.receive("orders", max: 5)
                if batch.isEmpty { break }
                drained += batch.count
                try await store.settle("orders", deleted: batch.map(\.receipt), failed: [])
            }
            #expect(drained == 19, "every message but the one past maxReceiveCount")
            #expect(try await store.peek("dlq", limit: 10).contains { $0.id == failing[0].message.id })
            #expect(try await store.receive("later", max: 5).count == 1, "promoted at maxmemory")
            _ = try await connection.send("CONFIG", "SET", "maxmemory", "0")
            await connection.close()
        }
    }

    @Test func malformedRepliesAreErrorsNotMessages() throws {
        #expect(throws: RedisQueueError.self) { try RedisQueueStore.deliveries(.integer(1), visibilityTimeout: 0, now: 0) }
        let row = RESPValue.array([.bulkString(ByteBuffer(string: "1-0")), .bulkString(ByteBuffer(string: "id"))])
        #expect(throws: RedisQueueError.self) {
            try RedisQueueStore.deliveries(.array([.array([row]), .integer(0), .integer(0)]), visibilityTimeout: 0, now: 0)
        }
        #expect(throws: RedisQueueError.self) { try RedisQueueStore.statistics(.array([.integer(1)])) }
        let short = RedisQueueStore.sent(.array([.integer(1), .bulkString(ByteBuffer(string: "a"))]), count: 2)
        #expect(short.count == 2 && short.allSatisfy { if case .failure = $0 { true } else { false } })
        let refused = RedisQueueStore.sent(.error("OOM command not allowed"), count: 1)
        #expect(refused.count == 1 && { if case .failure = refused[0] { true } else { false } }())
        let good = RedisQueueStore.sent(.array([.integer(1), .bulkString(ByteBuffer(string: "a")),
                                                .integer(0), .bulkString(ByteBuffer(string: "b"))]), count: 2)
        #expect(good.compactMap { try? $0.get() } == [.init(id: "a", stored: true), .init(id: "b", stored: false)])
    }
}
