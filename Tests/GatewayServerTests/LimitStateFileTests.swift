import Foundation
import GatewayCore
import Logging
import Testing
@testable import GatewayServer

extension GatewayServerTests {
    @Suite struct LimitStateFileTests {
        static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

        @Test func aBatchWrittenFromACancelledTaskNeverLeavesTheFileUnusable() async throws {
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let file = try #require(await LimitStateFile.open(directory: directory, logger: Self.logger).file)
            let batch: [PersistedLimit] = (0..<50).map { .quota(id: "q\($0)", periodStart: 1, used: Int64($0)) }
            // Cancelled before it starts: whether the batch lands or not, no transaction may stay open.
            let cancelled = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                try? await file.write(batch)
            }
            await cancelled.value
            try await file.write([.quota(id: "after", periodStart: 2, used: 7)])
            let records = try await file.load()
            #expect(records.contains(.quota(id: "after", periodStart: 2, used: 7)))
            await file.close()
        }

        @Test func theWriterFinishesItsBatchWhenItsLoopIsCancelled() async throws {
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let store = MemoryLimitStore()
            let quota = store.quota(LimitID("q"), quota: Quota(limit: 10, period: .day))
            let writer = try #require(await LimitStateWriter.start(directory: directory, store: store, logger: Self.logger))
            let loop = Task { await writer.run() }
            for round in 0..<20 {
                _ = store.acquireNow(LimitRequest(routeBuckets: [], quota: quota), now: 1_800_000_000_000_000_000)
                try await Task.sleep(for: .milliseconds(round % 2 == 0 ? 40 : 5))
            }
            loop.cancel()
            await loop.value
            await writer.stop()
            let (file, records) = await LimitStateFile.open(directory: directory, logger: Self.logger)
            await file?.close()
            #expect(records.contains { if case .quota("q", _, 10) = $0 { return true } else { return false } })
        }
    }
}
