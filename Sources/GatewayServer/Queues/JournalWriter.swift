import Foundation
import GatewayCore
import Synchronization
// sqlite-nio's bundled SQLite (its C API, every name prefixed `sqlite_nio_`). It is a target of that package, not a
// product: the import works because SQLiteNIO depends on it, so its module map reaches every target that uses
// SQLiteNIO. A release of sqlite-nio that renames it breaks this line at compile time, not at run time.
import VaporCSQLite

/// The journal's commits, on a thread of their own that owns a SQLite handle and calls SQLite's C API directly:
/// a group commit is one wake-up of this thread (prepared statements, one transaction, one fsync), where a query
/// through SQLiteNIO was a hop to its thread pool and back to an event loop per statement.
///
/// `@unchecked Sendable`, and safe: `pending` is only read or written with `condition` locked, `commits` is atomic,
/// and `connection` (the handle and its statements) is used only by the writer thread, which received it when it
/// was started (thread creation orders the handle's set-up before its first use there).
final class JournalWriter: @unchecked Sendable {
    typealias Waiter = @Sendable (Result<Void, any Error>) -> Void

    private struct Pending {
        var changes: [QueueJournal.Change] = []
        var waiters: [Waiter] = []
        /// `close()` was called: appends fail from now on, the thread commits what waits and ends.
        var closing = false
        /// The thread has ended and the handle is closed.
        var closed = false
        var closers: [@Sendable () -> Void] = []
    }

    private let condition = NSCondition()
    private var pending = Pending()
    private let connection: JournalConnection
    private let commits = Atomic<Int>(0)

    /// Opens `path` (an existing journal: its schema made, WAL already on) and starts the writer thread.
    init(path: String) throws {
        connection = try JournalConnection(path: path)
        let thread = Thread { [self] in run() }
        thread.name = "queue-journal"
        thread.start()
    }

    /// Transactions committed so far (each one fsync).
    var commitCount: Int { commits.load(ordering: .relaxed) }

    /// Queues `changes` for the next commit; `completion` runs on the writer thread once they are committed, or
    /// failed (every waiter of a failed commit hears of it).
    func append(_ changes: [QueueJournal.Change], completion: @escaping Waiter) {
        condition.lock()
        guard !pending.closing else {
            condition.unlock()
            return completion(.failure(StateFileError("the queue journal is closed")))
        }
        pending.changes.append(contentsOf: changes)
        pending.waiters.append(completion)
        condition.signal()
        condition.unlock()
    }

    /// Commits what already waits, closes the handle and ends the thread; returns once it has.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if pending.closed {
                condition.unlock()
                return continuation.resume()
            }
            pending.closing = true
            pending.closers.append { continuation.resume() }
            condition.signal()
            condition.unlock()
        }
    }

    /// The thread: sleeps until changes wait, takes all of them, commits them as one transaction, answers their
    /// waiters, and again. The arrays are swapped with spares, so a busy journal allocates no new ones per commit.
    private func run() {
        var changes: [QueueJournal.Change] = []
        var waiters: [Waiter] = []
        while true {
            condition.lock()
            while pending.changes.isEmpty && !pending.closing { condition.wait() }
            swap(&changes, &pending.changes)
            swap(&waiters, &pending.waiters)
            if changes.isEmpty {
                pending.closed = true
                let closers = pending.closers
                condition.unlock()
                connection.close()
                for closer in closers { closer() }
                return
            }
            condition.unlock()
            let result = Result { try connection.commit(changes) }
            if case .success = result { commits.add(1, ordering: .relaxed) }
            for waiter in waiters { waiter(result) }
            changes.removeAll(keepingCapacity: true)
            waiters.removeAll(keepingCapacity: true)
        }
    }
}

/// A SQLite handle with the journal's statements prepared once. Not thread-safe, and opened without SQLite's own
/// mutex: only `JournalWriter`'s thread uses it.
private final class JournalConnection {
    private var db: OpaquePointer?
    private var begin: OpaquePointer?
    private var end: OpaquePointer?
    private var rollback: OpaquePointer?
    private var put: OpaquePointer?
    private var remove: OpaquePointer?
    private var remember: OpaquePointer?
    private var forget: OpaquePointer?

    init(path: String) throws {
        guard sqlite_nio_sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
            defer { close() }
            throw failure("open \(path)")
        }
        do {
            // WAL is a property of the file (already on); `synchronous` is the connection's: FULL fsyncs every commit,
            // so an acknowledged message survives power loss too.
            try execute("PRAGMA journal_mode=WAL")
            try execute("PRAGMA synchronous=FULL")
            _ = sqlite_nio_sqlite3_busy_timeout(db, 10_000)
            begin = try prepare("BEGIN IMMEDIATE")
            end = try prepare("COMMIT")
            rollback = try prepare("ROLLBACK")
            // The same row as before this writer: a later put of a stored message changes where and how it waits,
            // never its body or send time.
            put = try prepare("""
                INSERT INTO messages (id, queue, body, sent_at, visible_at, receive_count, first_received_at,
                                      last_error, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET queue = excluded.queue, visible_at = excluded.visible_at,
                    receive_count = excluded.receive_count, first_received_at = excluded.first_received_at,
                    last_error = excluded.last_error, origin = excluded.origin
                """)
            remove = try prepare("DELETE FROM messages WHERE id = ?")
            remember = try prepare("INSERT OR REPLACE INTO idempotency (key, message_id, expires_at) VALUES (?, ?, ?)")
            // Keys past their time go with the commits that add new ones (an index range, not a scan).
            forget = try prepare("DELETE FROM idempotency WHERE expires_at <= ?")
        } catch {
            close()
            throw error
        }
    }

    /// One transaction; for each message only its last change counts. Puts, then removals, then keys, as the
    /// multi-row statements before this writer had it.
    func commit(_ changes: [QueueJournal.Change]) throws {
        var last: [String: Int] = [:]
        last.reserveCapacity(changes.count)
        for (index, change) in changes.enumerated() { last[change.id] = index }
        try run(begin)
        do {
            var removals = false, remembered = false
            for (index, change) in changes.enumerated() where last[change.id] == index {
                switch change {
                case .put(let queue, let message): try write(queue: queue, message: message)
                case .remove: removals = true
                case .remember: remembered = true
                }
            }
            if removals {
                for (index, change) in changes.enumerated() where last[change.id] == index {
                    guard case .remove(let id) = change else { continue }
                    try bind(remove, 1, id)
                    try run(remove)
                }
            }
            if remembered {
                for (index, change) in changes.enumerated() where last[change.id] == index {
                    guard case .remember(let key, let messageId, let expiresAt) = change else { continue }
                    try bind(remember, 1, key)
                    try bind(remember, 2, messageId)
                    try bind(remember, 3, expiresAt)
                    try run(remember)
                }
                try bind(forget, 1, SystemClock().now())
                try run(forget)
            }
            try run(end)
        } catch {
            // A failed COMMIT may have ended the transaction itself; otherwise nothing of it stays.
            if sqlite_nio_sqlite3_get_autocommit(db) == 0 { try? run(rollback) }
            throw error
        }
    }

    /// Every parameter is bound before each step, so none left from an earlier row (the body's bytes among them,
    /// bound without a copy for the step only) is ever read.
    private func write(queue: String, message: QueuedMessage) throws {
        try bind(put, 1, message.id)
        try bind(put, 2, queue)
        try bind(put, 4, message.sentAt)
        try bind(put, 5, message.visibleAt)
        try bind(put, 6, Int64(message.receiveCount))
        try bind(put, 7, message.firstReceivedAt)
        try bind(put, 8, message.lastError)
        try bind(put, 9, message.origin)
        try message.body.withUnsafeBytes { body in
            // An empty body is a zero-length blob (a null pointer would bind NULL, which the column refuses).
            try check(body.isEmpty ? sqlite_nio_sqlite3_bind_zeroblob(put, 3, 0)
                                   : sqlite_nio_sqlite3_bind_blob(put, 3, body.baseAddress, Int32(body.count), nil), "bind")
            try run(put)
        }
    }

    private func bind(_ statement: OpaquePointer?, _ index: Int32, _ text: String?) throws {
        guard var text else { return try check(sqlite_nio_sqlite3_bind_null(statement, index), "bind") }
        // SQLITE_TRANSIENT: SQLite copies the text (a short string's bytes live only inside `withUTF8`).
        try text.withUTF8 { utf8 in
            try utf8.withMemoryRebound(to: CChar.self) { chars in
                // An empty string's buffer may have no address (which would bind NULL): a literal "" has one.
                try check(chars.isEmpty ? sqlite_nio_sqlite3_bind_text(statement, index, "", 0, Self.transient)
                                        : sqlite_nio_sqlite3_bind_text(statement, index, chars.baseAddress, Int32(chars.count),
                                                                       Self.transient), "bind")
            }
        }
    }

    private func bind(_ statement: OpaquePointer?, _ index: Int32, _ value: Int64?) throws {
        guard let value else { return try check(sqlite_nio_sqlite3_bind_null(statement, index), "bind") }
        try check(sqlite_nio_sqlite3_bind_int64(statement, index, value), "bind")
    }

    /// Steps a statement that returns no rows to its end and resets it for its next use.
    private func run(_ statement: OpaquePointer?) throws {
        let code = sqlite_nio_sqlite3_step(statement)
        if code != SQLITE_DONE && code != SQLITE_ROW {
            let failure = failure("step", code: code)
            sqlite_nio_sqlite3_reset(statement)
            throw failure
        }
        sqlite_nio_sqlite3_reset(statement)
    }

    private func execute(_ sql: String) throws {
        let statement = try prepare(sql)
        defer { sqlite_nio_sqlite3_finalize(statement) }
        try run(statement)
    }

    private func prepare(_ sql: String) throws -> OpaquePointer? {
        var statement: OpaquePointer?
        try check(sqlite_nio_sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil), "prepare")
        return statement
    }

    private func check(_ code: Int32, _ action: String) throws {
        guard code == SQLITE_OK else { throw failure(action, code: code) }
    }

    private func failure(_ action: String, code: Int32? = nil) -> StateFileError {
        let message = sqlite_nio_sqlite3_errmsg(db).map { String(cString: $0) } ?? "out of memory"
        return StateFileError("queue journal: \(action) failed (\(code ?? sqlite_nio_sqlite3_extended_errcode(db))): \(message)")
    }

    func close() {
        for statement in [begin, end, rollback, put, remove, remember, forget] { sqlite_nio_sqlite3_finalize(statement) }
        begin = nil; end = nil; rollback = nil; put = nil; remove = nil; remember = nil; forget = nil
        sqlite_nio_sqlite3_close(db)
        db = nil
    }

    /// SQLITE_TRANSIENT, a C macro Swift cannot import: the destructor "-1" tells SQLite to copy the value.
    private static var transient: sqlite3_destructor_type { unsafeBitCast(-1 as Int, to: sqlite3_destructor_type.self) }
}
