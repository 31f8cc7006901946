import GatewayCore
import Synchronization
import Testing
@testable import GatewayServer

/// A queue store whose receives fail while `failing` is set (Redis away), otherwise a memory `QueueService`.
final class FlakyQueueStore: QueueStore {
    struct Unreachable: Error {}
    let inner: QueueService
    let failing = Atomic<Bool>(false)
    var clock: any GatewayClock { inner.clock }
    var isDurable: Bool { false }

    init(_ inner: QueueService) { self.inner = inner }

    func define(_ definitions: [QueueDefinition]) { inner.define(definitions) }
    func send(_ queue: String, body: [UInt8], id: String, idempotencyKey: String?,
              completion: @escaping @Sendable (Result<String, any Error>) -> Void) {
        inner.send(queue, body: body, id: id, idempotencyKey: idempotencyKey, completion: completion)
    }
    func receive(_ queue: String, max: Int, maxBytes: Int) async throws -> [Delivery] {
        if failing.load(ordering: .relaxed) { throw Unreachable() }
        return try await inner.receive(queue, max: max, maxBytes: maxBytes)
    }
    func settle(_ queue: String, deleted: [Receipt], failed: [(receipt: Receipt, error: String)],
                retryAt: EpochNanoseconds?) async throws {
        try await inner.settle(queue, deleted: deleted, failed: failed, retryAt: retryAt)
    }
    func removeExpired() async throws -> Int { try await inner.removeExpired() }
    func summaries() async throws -> [QueueSummary] { inner.summaries() }
    func peek(_ queue: String, limit: Int) async throws -> [QueuedMessage] { try await inner.peek(queue, limit: limit) }
    func purge(_ queue: String) async throws -> Int { try await inner.purge(queue) }
    func redrive(_ deadLetterQueue: String) async throws -> Int { try await inner.redrive(deadLetterQueue) }
    func close() async { await inner.close() }
}

extension GatewayServerTests {
    @Suite struct QueueConsumerTests {
        /// A store that fails (Redis away) is asked again after a doubling wait, never more than 5 s apart.
        @Test func failedReceivesBackOffToAtMostFiveSeconds() {
            #expect(QueueConsumer.retryInterval(afterFailures: 1) == .milliseconds(100))
            #expect(QueueConsumer.retryInterval(afterFailures: 2) == .milliseconds(200))
            #expect(QueueConsumer.retryInterval(afterFailures: 4) == .milliseconds(800))
            #expect(QueueConsumer.retryInterval(afterFailures: 7) == .seconds(5))
            #expect(QueueConsumer.retryInterval(afterFailures: 10_000) == .seconds(5))
        }

        /// Each outage is logged once when it starts and once when it ends, however many receives fail within it,
        /// and the consumer delivers again after it.
        @Test func eachStoreOutageIsLoggedOnceAndTheConsumerResumes() async throws {
            let store = FlakyQueueStore(try await QueueService.open(definitions: [QueueDefinition(name: "orders")], directory: nil))
            let capture = LogCapture()
            let invoked = Atomic<Int>(0)
            let consumer = QueueConsumer(queue: "orders", settings: QueueConsumerSettings(function: "f"), store: store,
                                         logger: capture.logger) { _, _ in
                invoked.add(1, ordering: .relaxed)
                return .result(Array("{}".utf8))
            }
            func count(_ message: String) -> Int { capture.records.withLock { $0.filter { $0.message.hasPrefix(message) }.count } }
            store.failing.store(true, ordering: .relaxed)
            let running = Task { await consumer.run() }
            defer { consumer.stop() }
            for outage in 1...2 {
                #expect(await eventually(timeout: .seconds(5)) { count("queue receive failed") == outage })
                try await Task.sleep(for: .milliseconds(400))  // several receives fail meanwhile
                #expect(count("queue receive failed") == outage, "one error per outage")
                store.failing.store(false, ordering: .relaxed)
                #expect(await eventually(timeout: .seconds(5)) { count("queue receives work again") == outage })
                _ = try await store.send("orders", body: Array("o".utf8))
                consumer.notify()
                #expect(await eventually(timeout: .seconds(5)) { invoked.load(ordering: .relaxed) == outage })
                store.failing.store(true, ordering: .relaxed)
            }
            consumer.stop()
            await running.value
        }

        /// `batchItemFailures` fail only the messages they name; an error fails the whole batch with its reason.
        @Test func aBatchOutcomeSettlesEachMessage() {
            let batch = (1...3).map { n in
                Delivery(message: QueuedMessage(id: "m\(n)", body: Array("b".utf8), sentAt: 0, visibleAt: 0, receiveCount: 1),
                         receipt: Receipt(id: "m\(n)", generation: 1))
            }
            let partial = QueueConsumer.settlement(of: .result(Array(#"{"batchItemFailures":[{"itemIdentifier":"m2"}]}"#.utf8)),
                                                   for: batch)
            #expect(partial.deleted.map(\.id) == ["m1", "m3"])
            #expect(partial.failed.map(\.receipt.id) == ["m2"])
            let error = QueueConsumer.settlement(of: .functionError(FunctionError(type: "RuntimeError", message: "boom")),
                                                 for: batch)
            #expect(error.deleted.isEmpty && error.failed.map(\.error) == Array(repeating: "RuntimeError: boom", count: 3))
        }
    }
}
