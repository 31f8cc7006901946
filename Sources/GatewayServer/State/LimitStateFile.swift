import Foundation
import GatewayCore
import Logging
import NIOPosix
import SQLiteNIO

/// Throttle and quota counters on disk, in `limits.sqlite` under `state.path`.
///
/// SQLite (bundled by sqlite-nio, so a fresh machine needs nothing installed) rather than a format of our own:
/// its write-ahead log makes every batch one atomic transaction, so a `kill -9` mid-write loses at most the batch
/// being written and never leaves a half-written file; its calls run on NIO's blocking-I/O pool, never on an event
/// loop. A file that is truncated or not a database is reported, moved aside, and the gateway starts with fresh
/// counters rather than refusing to start.
final class LimitStateFile: Sendable {
    static let fileName = "limits.sqlite"
    /// Rows per INSERT: SQLite allows 32,766 bound values; four per row.
    static let rowsPerStatement = 500

    private let connection: SQLiteConnection
    let path: String

    private init(connection: SQLiteConnection, path: String) {
        self.connection = connection
        self.path = path
    }

    /// Opens (or creates) the file under `directory` and reads what it holds. Never throws: an unusable file is
    /// logged and replaced; a directory that cannot be created leaves the counters in memory only (nil).
    static func open(directory: String, logger: Logger) async -> (file: LimitStateFile?, records: [PersistedLimit]) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            logger.error("state: cannot create \(directory) (\(error.localizedDescription)); counters are kept in memory only")
            return (nil, [])
        }
        let path = (directory as NSString).appendingPathComponent(fileName)
        do {
            let file = try await attempt(path)
            let records = try await file.load()
            return (file, records)
        } catch {
            let aside = path + ".corrupt-\(Int(Date().timeIntervalSince1970))"
            logger.error("state: \(path) is unreadable (\(error)); moved to \(aside), counters start from empty")
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
                try? FileManager.default.moveItem(atPath: path + suffix, toPath: aside + suffix)
            }
            do {
                return (try await attempt(path), [])
            } catch {
                logger.error("state: cannot create \(path) (\(error)); counters are kept in memory only")
                return (nil, [])
            }
        }
    }

    private static func attempt(_ path: String) async throws -> LimitStateFile {
        // NORMAL with WAL: a committed batch survives the process being killed, and commits do not wait for an
        // fsync each.
        let connection = try await CheckedSQLiteFile.open(path: path, synchronous: .normal, schema: """
            CREATE TABLE IF NOT EXISTS limits (id TEXT PRIMARY KEY, kind INTEGER NOT NULL, a INTEGER NOT NULL,
                                               b INTEGER NOT NULL) WITHOUT ROWID
            """)
        return LimitStateFile(connection: connection, path: path)
    }

    /// kind 0: a bucket (a = picotokens, b = last refill, epoch ns); kind 1: a quota (a = period start, b = used).
    func load() async throws -> [PersistedLimit] {
        try await connection.query("SELECT id, kind, a, b FROM limits").compactMap { row in
            guard let id = row.column("id")?.string, let kind = row.column("kind")?.integer,
                  let a = row.column("a")?.integer, let b = row.column("b")?.integer else { return nil }
            switch kind {
            case 0: return .bucket(id: id, units: Int64(a), updatedAt: Int64(b))
            case 1: return .quota(id: id, periodStart: Int64(a), used: Int64(b))
            default: return nil
            }
        }
    }

    /// Writes one batch as one transaction.
    func write(_ changes: [PersistedLimit]) async throws {
        guard !changes.isEmpty else { return }
        _ = try await connection.query("BEGIN IMMEDIATE")
        do {
            var start = changes.startIndex
            while start < changes.endIndex {
                let chunk = changes[start..<min(start + Self.rowsPerStatement, changes.endIndex)]
                var binds: [SQLiteData] = []
                binds.reserveCapacity(chunk.count * 4)
                for change in chunk {
                    switch change {
                    case .bucket(let id, let units, let updatedAt):
                        binds += [.text(id), .integer(0), .integer(SQLiteInt64(units)), .integer(SQLiteInt64(updatedAt))]
                    case .quota(let id, let periodStart, let used):
                        binds += [.text(id), .integer(1), .integer(SQLiteInt64(periodStart)), .integer(SQLiteInt64(used))]
                    }
                }
                let values = Array(repeating: "(?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
                _ = try await connection.query("""
                    INSERT INTO limits (id, kind, a, b) VALUES \(values)
                    ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, a = excluded.a, b = excluded.b
                    """, binds)
                start += chunk.count
            }
            _ = try await connection.query("COMMIT")
        } catch {
            // In a task of its own: when the caller was cancelled, a cancelled ROLLBACK would leave the transaction
            // open and every later batch would fail to begin.
            let connection = self.connection
            _ = await Task { try? await connection.query("ROLLBACK") }.value
            throw error
        }
    }

    func close() async {
        try? await connection.close()
    }
}

struct StateFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
