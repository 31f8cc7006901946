import Foundation
import GatewayCore
import Testing
@testable import GatewayServer

extension GatewayServerTests {
    @Suite struct QueueJournalTests {
        static func message(_ id: String, at sentAt: EpochNanoseconds = 1_000, body: String = "{}") -> QueuedMessage {
            QueuedMessage(id: id, body: Array(body.utf8), sentAt: sentAt, visibleAt: sentAt)
        }

        @Test func everyCommittedChangeIsThereAfterReopening() async throws {
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let (journal, empty) = try await QueueJournal.open(directory: directory)
            #expect(empty.isEmpty)
            var received = Self.message("b", at: 2_000, body: #"{"order":2}"#)
            received.receiveCount = 2
            received.firstReceivedAt = 2_500
            received.lastError = "ValueError: no stock"
            try await journal.append([.put(queue: "orders", message: Self.message("a")),
                                      .put(queue: "orders", message: Self.message("b", at: 2_000, body: #"{"order":2}"#)),
                                      .put(queue: "orders-dlq", message: Self.message("c", at: 3_000))])
            try await journal.append([.put(queue: "orders", message: received), .remove(id: "a")])
            await journal.close()

            let (reopened, messages) = try await QueueJournal.open(directory: directory)
            #expect(messages["orders"] == [received])
            #expect(messages["orders-dlq"]?.map(\.id) == ["c"])
            await reopened.close()
        }

        /// Five hundred senders at once: every append returns committed, in far fewer transactions than messages.
        @Test func concurrentAppendsShareCommits() async throws {
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let (journal, _) = try await QueueJournal.open(directory: directory)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<500 {
                    group.addTask { try await journal.append([.put(queue: "q", message: Self.message("m\(i)", at: Int64(i)))]) }
                }
                try await group.waitForAll()
            }
            #expect(journal.commitCount < 250, "\(journal.commitCount) commits for 500 messages")
            await journal.close()
            let (reopened, messages) = try await QueueJournal.open(directory: directory)
            #expect(messages["q"]?.count == 500)
            #expect(messages["q"]?.first?.id == "m0")  // oldest first
            await reopened.close()
        }

        /// A commit of a thousand rows (puts, then removals) is written whole, as one transaction.
        @Test func aCommitOfManyStatementsIsWrittenWhole() async throws {
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let (journal, _) = try await QueueJournal.open(directory: directory)
            let count = 1_007
            try await journal.append((0..<count).map { .put(queue: "q", message: Self.message("m\($0)", at: Int64($0))) })
            try await journal.append((0..<(count - 3)).map { .remove(id: "m\($0)") })
            #expect(journal.commitCount == 2)
            await journal.close()
            let (reopened, messages) = try await QueueJournal.open(directory: directory)
            #expect(messages["q"]?.map(\.id) == ["m\(count - 3)", "m\(count - 2)", "m\(count - 1)"])
            await reopened.close()
        }

        @Test func withinABatchTheLastChangeOfAMessageWins() async throws {
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let (journal, _) = try await QueueJournal.open(directory: directory)
            try await journal.append([.put(queue: "q", message: Self.message("x")), .remove(id: "x"),
                                      .put(queue: "q", message: Self.message("y")), .remove(id: "y"),
                                      .put(queue: "dlq", message: Self.message("y"))])
            await journal.close()
            let (reopened, messages) = try await QueueJournal.open(directory: directory)
            #expect(messages["q"] == nil && messages["dlq"]?.map(\.id) == ["y"])
            await reopened.close()
        }

        @Test func aGarbledFileIsRefusedNotLoaded() async throws {
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = directory + "/" + QueueJournal.fileName
            try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: path))
            await #expect(throws: (any Error).self) { _ = try await QueueJournal.open(directory: directory) }
        }
    }
}
