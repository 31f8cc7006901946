/// One queue's messages and their SQS semantics, with no I/O and an injected clock: what a `queue` route stores,
/// what a consumer receives in batches, when a message is visible again, when it goes to the dead-letter queue.
/// The owner serialises access and persists every change (the durable log records the same operations).
///
/// A message is *delayed* until its first visibility (`delay`), *visible* once its time has come, and *in flight*
/// for `visibilityTimeout` after each receive. A receive that finds a visible message already received
/// `maxReceiveCount` times moves it out (to the dead-letter queue, which the owner holds) instead of delivering it.
public struct MessageQueue: Sendable {
    public let settings: QueueSettings
    private var messages = MessageTable()
    private var heap = VisibilityHeap()
    private var nextSequence: UInt64 = 0

    public init(settings: QueueSettings) {
        self.settings = settings
    }

    public var count: Int { messages.count }
    /// Entries in the visibility heap, live and stale (tests of its compaction).
    public var heapCount: Int { heap.count }
    /// Bodies held, in bytes (a sender's bound: `QueueService` refuses sends past its limit).
    public private(set) var bodyBytes = 0
    public func message(_ id: String) -> QueuedMessage? { messages[id] }

    /// Stores a new message, visible after the queue's delay (or `delay`, when the sender chose one).
    @discardableResult
    public mutating func send(id: String, body: [UInt8], now: EpochNanoseconds, delay: Int64? = nil) -> QueuedMessage {
        let message = QueuedMessage(id: id, body: body, sentAt: now, visibleAt: now + (delay ?? settings.delay))
        insert(message)
        return message
    }

    /// Puts a message back as it was (a restart replaying the log, or a redrive, which resets its receive count).
    public mutating func insert(_ message: QueuedMessage) {
        // An older copy's heap entries no longer match it and are skipped.
        if let old = messages.updateValue(message, forKey: message.id) { bodyBytes -= old.body.count }
        bodyBytes += message.body.count
        heap.push(.init(visibleAt: message.visibleAt, sequence: nextSequence, id: message.id,
                        generation: message.receiveCount))
        nextSequence += 1
        compactHeapIfStale()
    }

    private mutating func remove(_ id: String) {
        if let old = messages.removeValue(forKey: id) { bodyBytes -= old.body.count }
    }

    /// Deleted and re-received messages leave entries behind until their time comes; once they outnumber the live
    /// ones the heap is rebuilt from the messages, so memory follows the queue's depth, not its throughput.
    private mutating func compactHeapIfStale() {
        guard heap.count > 2 * messages.count + 1024 else { return }
        heap.removeAll()
        for message in messages.values.sorted(by: { $0.visibleAt < $1.visibleAt }) {
            heap.push(.init(visibleAt: message.visibleAt, sequence: nextSequence, id: message.id,
                            generation: message.receiveCount))
            nextSequence += 1
        }
    }

    /// Up to `max` visible messages, oldest visibility first, each made invisible for the visibility timeout.
    /// Visible messages past their receive limit come back in `deadLettered`, messages past `retention` in
    /// `expired`; both are removed from this queue.
    /// `maxBytes` bounds the deliveries' bodies together (Lambda's 6 MB batch), except that one message always goes.
    public mutating func receive(max: Int, now: EpochNanoseconds, maxBytes: Int = .max) -> ReceiveResult {
        var result = ReceiveResult()
        var bytes = 0
        while result.deliveries.count < max, let top = heap.top, top.visibleAt <= now {
            guard var message = messages[top.id], message.receiveCount == top.generation,
                  message.visibleAt == top.visibleAt else {  // stale: deleted, or received again since
                heap.pop()
                continue
            }
            if now - message.sentAt >= settings.retention {
                heap.pop()
                remove(message.id)
                result.expired.append(message)
                continue
            }
            if let limit = settings.maxReceiveCount, message.receiveCount >= limit {
                heap.pop()
                remove(message.id)
                result.deadLettered.append(message)
                continue
            }
            // Left where it is for the next batch.
            if !result.deliveries.isEmpty, bytes + message.body.count > maxBytes { break }
            heap.pop()
            bytes += message.body.count
            message.receiveCount += 1
            if message.firstReceivedAt == nil { message.firstReceivedAt = now }
            message.visibleAt = now + settings.visibilityTimeout
            messages[message.id] = message
            heap.push(.init(visibleAt: message.visibleAt, sequence: top.sequence, id: message.id,
                            generation: message.receiveCount))
            result.deliveries.append(Delivery(message: message, receipt: Receipt(id: message.id,
                                                                                 generation: message.receiveCount)))
        }
        compactHeapIfStale()
        return result
    }

    /// Removes the messages past `retention` whether or not anyone receives (a dead-letter queue has no consumer).
    public mutating func removeExpired(now: EpochNanoseconds) -> [QueuedMessage] {
        let expired = messages.values.filter { now - $0.sentAt >= settings.retention }
        for message in expired { remove(message.id) }
        compactHeapIfStale()
        return expired
    }

    /// A consumer processed the message: it is gone. False when the receipt is stale (the message became visible
    /// and was received again, or is gone already), as SQS refuses an expired receipt handle.
    @discardableResult
    public mutating func delete(_ receipt: Receipt) -> Bool {
        guard let message = messages[receipt.id], message.receiveCount == receipt.generation else { return false }
        remove(receipt.id)
        return true
    }

    /// A consumer failed the message: it stays invisible for the rest of its visibility timeout (or until
    /// `visibleAt`, for a retry with back-off) and keeps `error` for the dead-letter queue and the admin API.
    @discardableResult
    public mutating func fail(_ receipt: Receipt, error: String, visibleAt: EpochNanoseconds? = nil) -> Bool {
        guard var message = messages[receipt.id], message.receiveCount == receipt.generation else { return false }
        message.lastError = error
        if let visibleAt, visibleAt != message.visibleAt {
            message.visibleAt = visibleAt
            heap.push(.init(visibleAt: visibleAt, sequence: nextSequence, id: message.id, generation: message.receiveCount))
            nextSequence += 1
        }
        messages[receipt.id] = message
        return true
    }

    /// Removes every message; returns how many there were.
    @discardableResult
    public mutating func purge() -> Int {
        let removed = messages.count
        messages.removeAll()
        heap.removeAll()
        bodyBytes = 0
        return removed
    }

    /// Takes every message out (a dead-letter queue redriven to its source), oldest first.
    public mutating func removeAll() -> [QueuedMessage] {
        let all = messages.values.sorted { ($0.sentAt, $0.id) < ($1.sentAt, $1.id) }
        purge()
        return all
    }

    /// Up to `limit` messages, oldest first, without receiving them (the admin API's peek).
    public func peek(limit: Int) -> [QueuedMessage] {
        Array(messages.values.sorted { ($0.sentAt, $0.id) < ($1.sentAt, $1.id) }.prefix(max(0, limit)))
    }

    public func statistics(now: EpochNanoseconds) -> QueueStatistics {
        var stats = QueueStatistics()
        var oldest: EpochNanoseconds?
        for message in messages.values {
            if message.visibleAt <= now {
                stats.visible += 1
            } else if message.receiveCount == 0 {
                stats.delayed += 1
            } else {
                stats.inFlight += 1
            }
            oldest = min(oldest ?? message.sentAt, message.sentAt)
        }
        if let oldest { stats.oldestAgeNanoseconds = max(0, now - oldest) }
        return stats
    }
}

/// A queue's settings (contract: `queues`), in nanoseconds.
public struct QueueSettings: Sendable, Equatable {
    public var visibilityTimeout: Int64
    /// nil: no dead-letter queue, a message is retried until it expires.
    public var maxReceiveCount: Int?
    public var delay: Int64
    public var retention: Int64

    public static let second: Int64 = 1_000_000_000

    public init(visibilityTimeout: Int64 = 30 * second, maxReceiveCount: Int? = nil, delay: Int64 = 0,
                retention: Int64 = 4 * 86_400 * second) {
        self.visibilityTimeout = visibilityTimeout
        self.maxReceiveCount = maxReceiveCount
        self.delay = delay
        self.retention = retention
    }
}

/// One stored message.
public struct QueuedMessage: Sendable, Equatable {
    public let id: String
    public let body: [UInt8]
    public let sentAt: EpochNanoseconds
    public var visibleAt: EpochNanoseconds
    public var receiveCount = 0
    public var firstReceivedAt: EpochNanoseconds?
    public var lastError: String?
    /// On a dead-letter queue: the queue the message came from (where a redrive sends it back).
    public var origin: String?

    public init(id: String, body: [UInt8], sentAt: EpochNanoseconds, visibleAt: EpochNanoseconds, receiveCount: Int = 0,
                firstReceivedAt: EpochNanoseconds? = nil, lastError: String? = nil, origin: String? = nil) {
        self.origin = origin
        self.id = id
        self.body = body
        self.sentAt = sentAt
        self.visibleAt = visibleAt
        self.receiveCount = receiveCount
        self.firstReceivedAt = firstReceivedAt
        self.lastError = lastError
    }
}

/// Names one receive of one message: deleting or failing with an older receipt does nothing.
public struct Receipt: Hashable, Sendable {
    public let id: String
    public let generation: Int
    /// Where the store keeps this copy of the message when that is not its id (a Redis stream entry's id).
    public let entry: String

    public init(id: String, generation: Int, entry: String = "") {
        self.id = id
        self.generation = generation
        self.entry = entry
    }

    /// The SQS `receiptHandle`: opaque to the consumer.
    public var handle: String { "\(id)#\(generation)" }
}

public struct Delivery: Sendable, Equatable {
    public let message: QueuedMessage
    public let receipt: Receipt

    public init(message: QueuedMessage, receipt: Receipt) {
        self.message = message
        self.receipt = receipt
    }
}

public struct ReceiveResult: Sendable, Equatable {
    public var deliveries: [Delivery] = []
    public var deadLettered: [QueuedMessage] = []
    public var expired: [QueuedMessage] = []
}

/// What `GET /queues` shows per queue.
public struct QueueStatistics: Sendable, Equatable {
    public var visible = 0
    public var inFlight = 0
    public var delayed = 0
    public var oldestAgeNanoseconds: Int64 = 0

    public init(visible: Int = 0, inFlight: Int = 0, delayed: Int = 0, oldestAgeNanoseconds: Int64 = 0) {
        self.visible = visible
        self.inFlight = inFlight
        self.delayed = delayed
        self.oldestAgeNanoseconds = oldestAgeNanoseconds
    }
}
