import Foundation
import GatewayCore
import Testing
@testable import GatewayServer

extension GatewayServerTests {
    @Suite struct QueueServiceTests {
        static let second = QueueSettings.second
        static let definitions = [
            QueueDefinition(name: "orders", settings: QueueSettings(visibilityTimeout: 30 * second, maxReceiveCount: 2),
                                    deadLetterQueue: "orders-dlq"),
            QueueDefinition(name: "orders-dlq", settings: QueueSettings(retention: 14 * 86_400 * second),
                                    deadLetterQueue: nil),
        ]

        @Test func sentMessagesSurviveARestartWithTheirReceiveCounts() async throws {
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let clock = ManualClock()
            let service = try await QueueService.open(definitions: Self.definitions, directory: directory, clock: clock)
            #expect(service.isDurable)
            let first = try await service.send("orders", body: Array(#"{"order":1}"#.utf8))
            let second = try await service.send("orders", body: Array(#"{"order":2}"#.utf8))
            #expect(first.count == 36 && first != second)
            let batch = try await service.receive("orders", max: 1)
            #expect(batch.map(\.message.id) == [first])
            await service.close()

            // kill -9 loses nothing that was acknowledged: a new service reads the same state.
            let restarted = try await QueueService.open(definitions: Self.definitions, directory: directory, clock: clock)
            let stats = restarted.summaries()
            let orders = try #require(stats.first { $0.name == "orders" }?.statistics)
            #expect(orders.visible == 1 && orders.inFlight == 1 && orders.delayed == 0)
            #expect(try restarted.peek("orders", limit: 10).first { $0.id == first }?.receiveCount == 1)
            await restarted.close()
        }

        @Test func afterMaxReceiveCountMessagesMoveToTheDeadLetterQueueAndRedriveBack() async throws {
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let clock = ManualClock()
            let service = try await QueueService.open(definitions: Self.definitions, directory: directory, clock: clock)
            let id = try await service.send("orders", body: Array("poison".utf8))
            for attempt in 1...2 {
                let batch = try await service.receive("orders", max: 10)
                #expect(batch.count == 1)
                try await service.settle("orders", deleted: [], failed: [(batch[0].receipt, "KeyError: attempt \(attempt)")])
                clock.advance(by: .seconds(30))
            }
            #expect(try await service.receive("orders", max: 10).isEmpty)
            let dead = try service.peek("orders-dlq", limit: 10)
            #expect(dead.map(\.id) == [id] && dead[0].receiveCount == 2 && dead[0].lastError == "KeyError: attempt 2")
            await service.close()

            let restarted = try await QueueService.open(definitions: Self.definitions, directory: directory, clock: clock)
            #expect(try restarted.peek("orders-dlq", limit: 10).first?.origin == "orders")
            #expect(try await restarted.redrive("orders-dlq") == 1)
            let again = try await restarted.receive("orders", max: 10)
            #expect(again.map(\.message.id) == [id] && again[0].message.receiveCount == 1)
            try await restarted.settle("orders", deleted: [again[0].receipt], failed: [])
            #expect(restarted.summaries().allSatisfy { $0.statistics == QueueStatistics() })
            await #expect(throws: QueueService.QueueError.notADeadLetterQueue("orders")) { try await restarted.redrive("orders") }
            await restarted.close()
        }

        @Test func withoutADirectoryQueuesAreInMemoryAndUnknownNamesAreRefused() async throws {
            let service = try await QueueService.open(definitions: Self.definitions, directory: nil)
            #expect(!service.isDurable)
            _ = try await service.send("orders", body: [])
            #expect(try await service.purge("orders") == 1)
            await #expect(throws: QueueService.QueueError.unknownQueue("nope")) { try await service.send("nope", body: []) }
        }

        @Test func messageIDsAreTimeOrderedVersion7UUIDs() {
            let ids = (0..<1000).map { MessageID.make(epochMilliseconds: 1_800_000_000_000 + Int64($0)) }
            #expect(Set(ids).count == 1000)
            #expect(ids == ids.sorted(), "later sends sort later")
            #expect(ids[0].hasPrefix("01a3185c-5000-7"), "the send time in milliseconds leads: \(ids[0])")
            for id in ids {
                let characters = Array(id)
                #expect(characters.count == 36 && [8, 13, 18, 23].allSatisfy { characters[$0] == "-" }, "\(id)")
                #expect(characters[14] == "7" && "89ab".contains(characters[19]), "\(id)")
                #expect(id.allSatisfy { "0123456789abcdef-".contains($0) }, "\(id)")
            }
        }

        /// Repeats of one key arriving while the first is committing wait for it: one message, one id for all.
        @Test func concurrentSendsOfOneIdempotencyKeyStoreOneMessage() async throws {
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let service = try await QueueService.open(definitions: Self.definitions, directory: directory)
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for n in 0..<50 {
                    group.addTask {
                        try await withCheckedThrowingContinuation { continuation in
                            service.send("orders", body: Array("order \(n)".utf8), id: MessageID.make(), idempotencyKey: n % 2 == 0 ? "even" : "odd") {
                                continuation.resume(with: $0)
                            }
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(Set(ids).count == 2, "one id per key")
            #expect(try service.peek("orders", limit: 100).count == 2)
            await service.close()
        }

        @Test func aFullQueueRefusesSendsUntilItDrains() async throws {
            let service = try await QueueService.open(definitions: Self.definitions, directory: nil, maxQueueBytes: 10)
            _ = try await service.send("orders", body: Array("12345678".utf8))
            await #expect(throws: QueueService.QueueError.full("orders")) {
                _ = try await service.send("orders", body: Array("123".utf8))
            }
            let batch = try await service.receive("orders", max: 1)
            try await service.settle("orders", deleted: batch.map(\.receipt), failed: [])
            _ = try await service.send("orders", body: Array("123".utf8))
        }

        @Test func aRedriveStartsARetentionAfresh() async throws {
            let clock = ManualClock()
            let service = try await QueueService.open(definitions: Self.definitions, directory: nil, clock: clock)
            _ = try await service.send("orders", body: Array("x".utf8))
            for _ in 0..<2 {
                let batch = try await service.receive("orders", max: 1)
                try await service.settle("orders", deleted: [], failed: batch.map { ($0.receipt, "no") }, retryAt: clock.now())
            }
            _ = try await service.receive("orders", max: 1)  // past maxReceiveCount: to the dead letters
            #expect(try service.peek("orders-dlq", limit: 10).count == 1)
            clock.advance(by: .seconds(5 * 86_400))  // past orders' 4 d retention, not the DLQ's 14 d
            #expect(try await service.redrive("orders-dlq") == 1)
            #expect(try await service.removeExpired() == 0, "redriven with a fresh retention")
            #expect(try await service.receive("orders", max: 1).count == 1)
        }
    }
}
