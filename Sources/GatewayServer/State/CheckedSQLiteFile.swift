import NIOPosix
import SQLiteNIO

/// Opens a state file the way every one is opened: write-ahead log, the given `synchronous` level, an integrity
/// check that reads every page (a truncated or garbled file is found now, not at the first write), then `schema`.
/// The connection is closed again if any step fails.
enum CheckedSQLiteFile {
    enum Synchronous: String {
        /// With WAL, a committed transaction survives the process being killed; only power loss can take the last.
        case normal = "NORMAL"
        /// Every commit is fsynced: it survives power loss too.
        case full = "FULL"
    }

    static func open(path: String, synchronous: Synchronous, schema: String) async throws -> SQLiteConnection {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), threadPool: .singleton,
                                                         on: MultiThreadedEventLoopGroup.singleton.any())
        do {
            _ = try await connection.query("PRAGMA journal_mode=WAL")
            _ = try await connection.query("PRAGMA synchronous=\(synchronous.rawValue)")
            let check = try await connection.query("PRAGMA quick_check")
            guard check.first?.columns.first?.data.string == "ok" else {
                throw StateFileError("integrity check failed: \(check.compactMap { $0.columns.first?.data.string }.prefix(3).joined(separator: "; "))")
            }
            _ = try await connection.query(schema)
            return connection
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
