import GatewayCore
import Testing
@testable import GatewayServer

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
