import Foundation
import GatewayCore
import SQLiteNIO

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

    private let writer: JournalWriter
    let path: String

    private init(writer: JournalWriter, path: String) {
        self.writer = writer
        self.path = path
    }

    /// Whether `directory` holds a journal (a gateway switched to the redis store would leave its messages there).
    static func exists(in directory: String) -> Bool {
        FileManager.default.fileExists(atPath: directory + "/" + fileName)
    }

    /// Transactions committed so far (each one fsync): fewer than the changes when commits were grouped.
    var commitCount: Int { writer.commitCount }

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
        // Checked, made and read through SQLiteNIO; written from now on by the journal's own thread and handle.
        let messages: [String: [QueuedMessage]], keys: [RememberedKey]
        do {
            _ = try await connection.query("CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, "
                                           + "message_id TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID")
            _ = try await connection.query("CREATE INDEX IF NOT EXISTS idempotency_expiry ON idempotency (expires_at)")
            messages = try await load(connection)
            keys = try await loadKeys(connection)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
        return (QueueJournal(writer: try JournalWriter(path: path), path: path), messages, keys)
    }

    private static func loadKeys(_ connection: SQLiteConnection) async throws -> [RememberedKey] {
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

    private static func load(_ connection: SQLiteConnection) async throws -> [String: [QueuedMessage]] {
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
    /// journal's writer thread once `changes` are committed, or failed.
    func append(_ changes: [Change], completion: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        guard !changes.isEmpty else { return completion(.success(())) }
        writer.append(changes, completion: completion)
    }

    /// Commits what already waits, then closes the file; appends after this fail.
    func close() async {
        await writer.close()
    }
}
