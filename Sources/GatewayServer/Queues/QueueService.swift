import GatewayCore
import Synchronization

/// The queues of one gateway: each a `MessageQueue` in memory, every change journaled (`QueueJournal`) before it
/// is reported done when `state.path` gives it a directory. A send returns once the message is durable; a receive
/// records the receive count it hands out, so `maxReceiveCount` holds across a restart; dead-lettered messages move
/// to their queue's dead-letter queue in the same commit that takes them off it.
final class QueueService: QueueStore {
    typealias QueueError = QueueStoreError
    typealias Counts = QueueCounts

    private struct State {
        var definitions: [String: QueueDefinition] = [:]
        var queues: [String: MessageQueue] = [:]
        var counts: [String: Counts] = [:]
        var idempotency = IdempotencyTable()
        /// Keys whose first send is still committing: repeats wait for its answer.
        var pendingKeys: [String: [@Sendable (Result<String, any Error>) -> Void]] = [:]
    }

    private let state = Mutex(State())
    /// Bodies one queue holds at most (the queues are held in memory, the journal being their copy on disk).
    static let maxQueueBytes = 256 * 1_048_576
    let maxQueueBytes: Int
    private let journal: QueueJournal?
    let clock: any GatewayClock

    private init(journal: QueueJournal?, clock: any GatewayClock, maxQueueBytes: Int) {
        self.journal = journal
        self.clock = clock
        self.maxQueueBytes = maxQueueBytes
    }

    /// Opens the queues: from the journal under `directory` (nil: in memory only), with `definitions`' settings.
    /// Messages of a queue no longer defined are kept (on disk) until it is defined again.
    static func open(definitions: [QueueDefinition], directory: String?, clock: any GatewayClock = SystemClock(),
                     maxQueueBytes: Int = QueueService.maxQueueBytes) async throws -> QueueService {
        var stored: [String: [QueuedMessage]] = [:]
        var keys: [QueueJournal.RememberedKey] = []
        var journal: QueueJournal?
        if let directory { (journal, stored, keys) = try await QueueJournal.openWithKeys(directory: directory) }
        let service = QueueService(journal: journal, clock: clock, maxQueueBytes: maxQueueBytes)
        service.define(definitions, restoring: stored)
        service.state.withLock { state in
            for key in keys { state.idempotency.store(key.key, messageId: key.messageId, expiresAt: key.expiresAt) }
        }
        return service
    }

    /// Applies a config's definitions: new queues start empty, changed settings apply from now on.
    func define(_ definitions: [QueueDefinition]) { define(definitions, restoring: [:]) }

    private func define(_ definitions: [QueueDefinition], restoring stored: [String: [QueuedMessage]]) {
        state.withLock { state in
            for definition in definitions {
                let old = state.queues[definition.name]
                state.definitions[definition.name] = definition
                // Unchanged settings (most queues of a reload): the queue stays as it is, nothing rebuilt under the lock.
                if let old, old.settings == definition.settings, stored[definition.name] == nil { continue }
                var queue = MessageQueue(settings: definition.settings)
                for message in old?.peek(limit: .max) ?? stored[definition.name] ?? [] { queue.insert(message) }
                state.queues[definition.name] = queue
                state.definitions[definition.name] = definition
            }
        }
    }

    var isDurable: Bool { journal != nil }

    /// Stores `body` and answers once it is durable (a route's send, from its event loop, with no task per message).
    /// The message joins the queue only then, so no consumer can receive a message that a failed commit would lose.
    /// A repeat of an `idempotencyKey` arriving while the first is committing waits for its answer.
    func send(_ queueName: String, body: [UInt8], id: String, idempotencyKey: String?,
              completion: @escaping @Sendable (Result<String, any Error>) -> Void) {
        let now = clock.now()
        enum Start { case send(QueueSettings), answered(String), waiting }
        let start: Start
        do {
            start = try state.withLock { state -> Start in
                guard let queue = state.queues[queueName] else { throw QueueError.unknownQueue(queueName) }
                // Memory follows what is stored, so what is stored is bounded: a sender gets 503 past it.
                guard queue.bodyBytes + body.count <= maxQueueBytes else { throw QueueError.full(queueName) }
                guard let key = idempotencyKey else { return .send(queue.settings) }
                if let first = state.idempotency.lookup(key, now: now) { return .answered(first) }
                if state.pendingKeys[key] != nil {
                    state.pendingKeys[key]!.append(completion)
                    return .waiting
                }
                state.pendingKeys[key] = []
                return .send(queue.settings)
            }
        } catch {
            return completion(.failure(error))
        }
        let settings: QueueSettings
        switch start {
        case .answered(let first): return completion(.success(first))
        case .waiting: return
        case .send(let queueSettings): settings = queueSettings
        }
        let expiresAt = now + IdempotencyTable.defaultTTL
        let completion: @Sendable (Result<String, any Error>) -> Void = { [self] result in
            guard let key = idempotencyKey else { return completion(result) }
            let waiters = state.withLock { state -> [@Sendable (Result<String, any Error>) -> Void] in
                if case .success(let messageId) = result {
                    state.idempotency.store(key, messageId: messageId, expiresAt: expiresAt)
                }
                return state.pendingKeys.removeValue(forKey: key) ?? []
            }
            completion(result)
            for waiter in waiters { waiter(result) }
        }
        let message = QueuedMessage(id: id, body: body, sentAt: now, visibleAt: now + settings.delay)
        let joinQueue: @Sendable () -> Void = { [self] in
            state.withLock { state in
                if state.queues[queueName] != nil {
                    state.queues[queueName]!.insert(message)
                } else {
                    // Redefined away while committing: kept as the journal has it, under its name.
                    var queue = MessageQueue(settings: settings)
                    queue.insert(message)
                    state.queues[queueName] = queue
                }
                state.counts[queueName, default: Counts()].sent += 1
            }
        }
        guard let journal else {
            joinQueue()
            return completion(.success(message.id))
        }
        var changes: [QueueJournal.Change] = [.put(queue: queueName, message: message)]
        if let idempotencyKey { changes.append(.remember(key: idempotencyKey, messageId: message.id, expiresAt: expiresAt)) }
        journal.append(changes) { result in
            switch result {
            case .success:
                joinQueue()
                completion(.success(message.id))
            case .failure(let error):
                completion(.failure(error))
            }
        }
    }

    /// Up to `max` messages, each invisible for the queue's visibility timeout; messages past their receive limit
    /// move to the dead-letter queue and expired ones are dropped, all journaled before the batch is returned.
    /// `maxBytes` bounds the bodies of one receive together (at least one message goes).
    func receive(_ queueName: String, max: Int, maxBytes: Int) async throws -> [Delivery] {
        let now = clock.now()
        return try await committing { state -> ([Delivery], [QueueJournal.Change]) in
            guard let definition = state.definitions[queueName], state.queues[queueName] != nil else {
                throw QueueError.unknownQueue(queueName)
            }
            let result = state.queues[queueName]!.receive(max: max, now: now, maxBytes: maxBytes)
            var changes: [QueueJournal.Change] = result.deliveries.map { .put(queue: queueName, message: $0.message) }
            changes += result.expired.map { .remove(id: $0.id) }
            for var message in result.deadLettered {
                if let dlq = definition.deadLetterQueue, state.queues[dlq] != nil {
                    message.origin = queueName
                    message.visibleAt = now
                    state.queues[dlq]!.insert(message)
                    changes.append(.put(queue: dlq, message: message))
                } else {
                    changes.append(.remove(id: message.id))
                }
            }
            state.counts[queueName, default: Counts()].received += result.deliveries.count
            return (result.deliveries, changes)
        }
    }

    /// Runs `change` under the lock and hands its journal changes over before the lock is released, so the journal
    /// commits them in the order the queues made them (a purge's removal never lands before the receive it
    /// follows); returns once they are committed.
    private func committing<T: Sendable>(_ change: (inout State) throws -> (T, [QueueJournal.Change])) async throws -> T {
        guard let journal else { return try state.withLock { try change(&$0).0 } }
        return try await withCheckedThrowingContinuation { continuation in
            do {
                try state.withLock { state in
                    let (value, changes) = try change(&state)
                    journal.append(changes) { result in continuation.resume(with: result.map { value }) }
                }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    /// Drops the messages past their queue's retention, received or not (a dead-letter queue has no consumer).
    func removeExpired() async throws -> Int {
        let now = clock.now()
        return try await committing { state -> (Int, [QueueJournal.Change]) in
            var changes: [QueueJournal.Change] = []
            for name in Array(state.queues.keys) {
                changes += state.queues[name]!.removeExpired(now: now).map { .remove(id: $0.id) }
            }
            return (changes.count, changes)
        }
    }

    /// A batch's outcome: `deleted` messages are gone, `failed` ones keep their error and come back after their
    /// visibility timeout (or at `retryAt`).
    func settle(_ queueName: String, deleted: [Receipt], failed: [(receipt: Receipt, error: String)],
                retryAt: EpochNanoseconds?) async throws {
        try await committing { state -> ((), [QueueJournal.Change]) in
            guard state.queues[queueName] != nil else { return ((), []) }
            var changes: [QueueJournal.Change] = []
            for receipt in deleted where state.queues[queueName]!.delete(receipt) { changes.append(.remove(id: receipt.id)) }
            state.counts[queueName, default: Counts()].deleted += changes.count
            for (receipt, error) in failed where state.queues[queueName]!.fail(receipt, error: error, visibleAt: retryAt) {
                if let message = state.queues[queueName]!.message(receipt.id) {
                    changes.append(.put(queue: queueName, message: message))
                }
            }
            return ((), changes)
        }
    }

    /// Every queue, defined or only stored, in name order.
    func summaries() -> [QueueSummary] {
        let now = clock.now()
        return state.withLock { state in
            state.queues.keys.sorted().map { name in
                QueueSummary(name: name, statistics: state.queues[name]!.statistics(now: now),
                             counts: state.counts[name] ?? Counts(), deadLetterQueue: state.definitions[name]?.deadLetterQueue)
            }
        }
    }

    func peek(_ queueName: String, limit: Int) throws -> [QueuedMessage] {
        try state.withLock { state in
            guard let queue = state.queues[queueName] else { throw QueueError.unknownQueue(queueName) }
            return queue.peek(limit: limit)
        }
    }

    /// Removes every message of the queue; returns how many.
    func purge(_ queueName: String) async throws -> Int {
        try await committing { state -> (Int, [QueueJournal.Change]) in
            guard state.queues[queueName] != nil else { throw QueueError.unknownQueue(queueName) }
            let removed = state.queues[queueName]!.removeAll()
            return (removed.count, removed.map { .remove(id: $0.id) })
        }
    }

    /// A dead-letter queue's messages back to the queues they came from, visible at once with a fresh receive
    /// count and a fresh retention (a redrive sends them again; their last error kept). Returns how many moved.
    func redrive(_ deadLetterQueue: String) async throws -> Int {
        let now = clock.now()
        return try await committing { state -> (Int, [QueueJournal.Change]) in
            guard state.queues[deadLetterQueue] != nil else { throw QueueError.unknownQueue(deadLetterQueue) }
            guard state.definitions.values.contains(where: { $0.deadLetterQueue == deadLetterQueue }) else {
                throw QueueError.notADeadLetterQueue(deadLetterQueue)
            }
            var changes: [QueueJournal.Change] = []
            var kept: [QueuedMessage] = []
            for message in state.queues[deadLetterQueue]!.removeAll() {
                guard let origin = message.origin, state.queues[origin] != nil else {
                    kept.append(message)  // its source is gone: it stays where it is
                    continue
                }
                let back = QueuedMessage(id: message.id, body: message.body, sentAt: now, visibleAt: now,
                                         lastError: message.lastError)
                state.queues[origin]!.insert(back)
                changes.append(.put(queue: origin, message: back))
            }
            for message in kept { state.queues[deadLetterQueue]!.insert(message) }
            return (changes.count, changes)
        }
    }

    func close() async {
        await journal?.close()
    }
}
