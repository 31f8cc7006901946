import GatewayCore
import Logging

/// Writes the limit store's changed counters to the state file every `interval`, off the event loops, and once
/// more when the gateway stops: a `kill -9` loses at most the last interval of counting.
final class LimitStateWriter: Sendable {
    static let interval = Duration.milliseconds(500)

    private let store: MemoryLimitStore
    private let file: LimitStateFile
    private let logger: Logger

    init(store: MemoryLimitStore, file: LimitStateFile, logger: Logger) {
        self.store = store
        self.file = file
        self.logger = logger
    }

    /// Opens the file under `directory`, seeds `store` with what it holds, and returns the writer (nil when the
    /// file could not be opened: counting goes on in memory, as logged).
    static func start(directory: String, store: MemoryLimitStore, logger: Logger) async -> LimitStateWriter? {
        let (file, records) = await LimitStateFile.open(directory: directory, logger: logger)
        guard let file else { return nil }
        store.restore(records)
        logger.info("state: \(records.count) counters restored from \(file.path)")
        return LimitStateWriter(store: store, file: file, logger: logger)
    }

    /// Runs until cancelled. A batch is written in a task of its own: cancelling the loop mid-batch must not cut
    /// the transaction short (a cancelled SQLite call would leave it open, and the next batch could not begin).
    func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.interval)
            await Task { await self.flush() }.value
        }
    }

    func flush() async {
        let changes = store.drainChanges()
        guard !changes.isEmpty else { return }
        do {
            try await file.write(changes)
        } catch {
            // Kept for the next batch rather than lost: the counters are still in memory and marked again.
            store.markChanged(changes)
            logger.error("state: writing \(changes.count) counters to \(file.path) failed: \(error)")
        }
    }

    func stop() async {
        await Task { await self.flush() }.value
        await file.close()
    }
}
