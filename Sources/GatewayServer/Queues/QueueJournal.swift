import Foundation
import GatewayCore
import NIOPosix
import SQLiteNIO
import Synchronization

/// Queue messages on disk, in `queues.sqlite` under `state.path`: every change to a message (stored, received,
/// failed, moved, deleted) is a row written before anyone is told it happened, so a 202 means the message survives
/// `kill -9` and a restart finds every message as it was last committed.
///
/// Writes use group commit: changes arriving while a commit is in flight wait and go together in the next
/// transaction, so one fsync (`synchronous=FULL`) covers every message a busy moment brings, and throughput grows
/// with load instead of collapsing to one fsync per message.
final class QueueJournal: Sendable {
    static let fileName = "queues.sqlite"

    /// One row: a message's whole state on its queue, or its removal.
    enum Change: Sendable, Equatable {
        case put(queue: String, message: QueuedMessage)
        case remove(id: String)
        /// An idempotency key answered with a message id, kept until `expiresAt` (in the same commit as its message).
        case remember(key: String, messageId: String, expiresAt: Int64)

        /// What a later change in the same commit replaces (keys and message ids never share a namespace).
        var id: String {
            switch self {
            case .put(_, let message): message.id
            case .remove(let id): id
            case .remember(let key, _, _): "key\u{0}" + key
            }
        }
    }

    /// A remembered idempotency key, as loaded.
    struct RememberedKey: Sendable, Equatable {
        let key: String
        let messageId: String
        let expiresAt: Int64
    }

    private struct Pending {
        var changes: [Change] = []
        var waiters: [@Sendable (Result<Void, any Error>) -> Void] = []
        var committing = false
        var commits = 0
    }

    private let connection: SQLiteConnection
    private let pending = Mutex(Pending())
    let path: String

    private init(connection: SQLiteConnection, path: String) {
        self.connection = connection
        self.path = path
    }

    /// Whether `directory` holds a journal (a gateway switched to the redis store would leave its messages there).
    static func exists(in directory: String) -> Bool {
        FileManager.default.fileExists(atPath: directory + "/" + fileName)
    }

    /// Transactions committed so far (each one fsync): fewer than the changes when commits were grouped.
    var commitCount: Int { pending.withLock { $0.commits } }

    /// Opens (or creates) the journal and reads every message, by queue, oldest first.
    static func open(directory: String) async throws -> (journal: QueueJournal, messages: [String: [QueuedMessage]]) {
        let (journal, messages, _) = try await openWithKeys(directory: directory)
        return (journal, messages)
    }

    /// The same, with the idempotency keys still within their time, oldest first.
    static func openWithKeys(directory: String) async throws
        -> (journal: QueueJournal, messages: [String: [QueuedMessage]], keys: [RememberedKey]) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent(fileName)
        // FULL: each commit is fsynced, so an acknowledged message survives power loss too, not only a crash.
        let connection = try await CheckedSQLiteFile.open(path: path, synchronous: .full, schema: """
            CREATE TABLE IF NOT EXISTS messages (id TEXT PRIMARY KEY, queue TEXT NOT NULL, body BLOB NOT NULL,
                sent_at INTEGER NOT NULL, visible_at INTEGER NOT NULL, receive_count INTEGER NOT NULL,
                first_received_at INTEGER, last_error TEXT, origin TEXT) WITHOUT ROWID
            """)
        let journal = QueueJournal(connection: connection, path: path)
        do {
            _ = try await connection.query("CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, "
                                           + "message_id TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID")
            _ = try await connection.query("CREATE INDEX IF NOT EXISTS idempotency_expiry ON idempotency (expires_at)")
            let messages = try await journal.load()
            return (journal, messages, try await journal.loadKeys())
        } catch {
            await journal.close()
            throw error
        }
    }

    private func loadKeys() async throws -> [RememberedKey] {
        let rows = try await connection.query(
            // The newest within the table's capacity, oldest first; older rows would be forgotten at once anyway.
            "SELECT * FROM (SELECT key, message_id, expires_at FROM idempotency WHERE expires_at > ? "
                + "ORDER BY expires_at DESC LIMIT \(IdempotencyTable.defaultCapacity)) ORDER BY expires_at",
            [.integer(SQLiteInt64(SystemClock().now()))])
        return try rows.map { row in
            guard let key = row.column("key")?.string, let messageId = row.column("message_id")?.string,
                  let expiresAt = row.column("expires_at")?.integer else {
                throw StateFileError("an idempotency row has a missing or mistyped column")
            }
            return RememberedKey(key: key, messageId: messageId, expiresAt: Int64(expiresAt))
        }
    }

    private func load() async throws -> [String: [QueuedMessage]] {
        var byQueue: [String: [QueuedMessage]] = [:]
        let rows = try await connection.query("""
            SELECT id, queue, body, sent_at, visible_at, receive_count, first_received_at, last_error, origin FROM messages
            ORDER BY sent_at, id
            """)
        for row in rows {
            guard let id = row.column("id")?.string, let queue = row.column("queue")?.string,
                  let body = row.column("body")?.blob, let sentAt = row.column("sent_at")?.integer,
                  let visibleAt = row.column("visible_at")?.integer,
                  let receiveCount = row.column("receive_count")?.integer else {
                throw StateFileError("a message row has a missing or mistyped column")
            }
            let message = QueuedMessage(id: id, body: Array(buffer: body), sentAt: Int64(sentAt),
                                        visibleAt: Int64(visibleAt), receiveCount: receiveCount,
                                        firstReceivedAt: row.column("first_received_at")?.integer.map(Int64.init),
                                        lastError: row.column("last_error")?.string,
                                        origin: row.column("origin")?.string)
            byQueue[queue, default: []].append(message)
        }
        return byQueue
    }

    /// Returns once `changes` are committed (fsynced), together with whatever else arrived meanwhile.
    func append(_ changes: [Change]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            append(changes) { continuation.resume(with: $0) }
        }
    }

    /// The same with a callback, for callers on an event loop (no task per message): `completion` runs on the
    /// committing task once `changes` are committed, or failed.
    func append(_ changes: [Change], completion: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        guard !changes.isEmpty else { return completion(.success(())) }
        let startCommit = pending.withLock { pending -> Bool in
            pending.changes.append(contentsOf: changes)
            pending.waiters.append(completion)
            if pending.committing { return false }
            pending.committing = true
            return true
        }
        if startCommit { Task { await self.commitLoop() } }
    }

    /// Commits batch after batch until nothing waits.
    private func commitLoop() async {
        while true {
            let (changes, waiters) = pending.withLock { pending -> ([Change], [@Sendable (Result<Void, any Error>) -> Void]) in
                defer { pending.changes = []; pending.waiters = [] }
                if pending.changes.isEmpty { pending.committing = false }
                return (pending.changes, pending.waiters)
            }
            guard !changes.isEmpty else { return }
            do {
                try await write(changes)
                pending.withLock { $0.commits += 1 }
                for waiter in waiters { waiter(.success(())) }
            } catch {
                for waiter in waiters { waiter(.failure(error)) }
            }
        }
    }

    /// One transaction; for each message only its last change counts. Rows go as multi-row statements (a few
    /// hundred per statement), since each statement is a hop to SQLite's thread and a parse.
    private func write(_ changes: [Change]) async throws {
        var last: [String: Int] = [:]
        for (index, change) in changes.enumerated() { last[change.id] = index }
        var puts: [(queue: String, message: QueuedMessage)] = []
        var removals: [String] = []
        var remembered: [(key: String, messageId: String, expiresAt: Int64)] = []
        for (index, change) in changes.enumerated() where last[change.id] == index {
            switch change {
            case .put(let queue, let message): puts.append((queue, message))
            case .remove(let id): removals.append(id)
            case .remember(let key, let messageId, let expiresAt): remembered.append((key, messageId, expiresAt))
            }
        }
        var statements: [(sql: String, bindings: [SQLiteData])] = []
        for chunk in Self.chunks(of: puts, size: Self.rowsPerStatement) {
            let rows = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
            var bindings: [SQLiteData] = []
            bindings.reserveCapacity(chunk.count * 9)
            for (queue, message) in chunk {
                bindings += [.text(message.id), .text(queue), .blob(ByteBuffer(bytes: message.body)),
                             .integer(SQLiteInt64(message.sentAt)), .integer(SQLiteInt64(message.visibleAt)),
                             .integer(message.receiveCount),
                             message.firstReceivedAt.map { .integer(SQLiteInt64($0)) } ?? .null,
                             message.lastError.map { .text($0) } ?? .null,
                             message.origin.map { .text($0) } ?? .null]
            }
            statements.append(("""
                INSERT INTO messages (id, queue, body, sent_at, visible_at, receive_count, first_received_at,
                                      last_error, origin) VALUES \(rows)
                ON CONFLICT(id) DO UPDATE SET queue = excluded.queue, visible_at = excluded.visible_at,
                    receive_count = excluded.receive_count, first_received_at = excluded.first_received_at,
                    last_error = excluded.last_error, origin = excluded.origin
                """, bindings))
        }
        for chunk in Self.chunks(of: removals, size: Self.rowsPerStatement * 9) {
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            statements.append(("DELETE FROM messages WHERE id IN (\(marks))", chunk.map { .text($0) }))
        }
        for chunk in Self.chunks(of: remembered, size: Self.rowsPerStatement) {
            let rows = Array(repeating: "(?, ?, ?)", count: chunk.count).joined(separator: ", ")
            statements.append(("INSERT OR REPLACE INTO idempotency (key, message_id, expires_at) VALUES \(rows)",
                               chunk.flatMap { [.text($0.key), .text($0.messageId), .integer(SQLiteInt64($0.expiresAt))] }))
        }
        if !remembered.isEmpty {
            // Keys past their time go with the commits that add new ones (an index range, not a scan).
            statements.append(("DELETE FROM idempotency WHERE expires_at <= ?", [.integer(SQLiteInt64(SystemClock().now()))]))
        }
        // One statement is a transaction of its own (the usual commit: the sends of one moment): one hop to SQLite's
        // thread instead of three.
        if statements.count == 1 {
            _ = try await connection.query(statements[0].sql, statements[0].bindings)
            return
        }
        _ = try await connection.query("BEGIN IMMEDIATE")
        do {
            for statement in statements { _ = try await connection.query(statement.sql, statement.bindings) }
            _ = try await connection.query("COMMIT")
        } catch {
            let connection = self.connection
            _ = await Task { try? await connection.query("ROLLBACK") }.value
            throw error
        }
    }

    /// Rows per INSERT: 9 bound values each, well under SQLite's 32,766 per statement.
    static let rowsPerStatement = 500

    private static func chunks<T>(of items: [T], size: Int) -> [ArraySlice<T>] {
        stride(from: 0, to: items.count, by: size).map { items[$0..<min($0 + size, items.count)] }
    }

    func close() async {
        try? await connection.close()
    }
}
