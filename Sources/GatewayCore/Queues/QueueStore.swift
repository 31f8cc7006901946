/// Where a gateway's queues live: in this process (`QueueService`: memory, journaled to `state.path`) or in Redis
/// Streams shared by a fleet (`RedisQueueStore`). Routes, consumers and the admin API use only this, so both stores
/// give the same SQS semantics to the same code.
public protocol QueueStore: Sendable {
    /// Whose time `sentAt` and retry deadlines are in.
    var clock: any GatewayClock { get }
    /// Whether an accepted message outlives the process (a journal on disk, or Redis).
    var isDurable: Bool { get }

    /// Applies a config's queues: settings apply from now on; messages of a queue no longer defined are kept.
    func define(_ definitions: [QueueDefinition])

    /// Stores `body` and calls `completion` with its message id once it is durable. With an `idempotencyKey`
    /// answered within the last 24 h, the first message's id comes back and nothing is stored.
    func send(_ queue: String, body: [UInt8], id: String, idempotencyKey: String?,
              completion: @escaping @Sendable (Result<String, any Error>) -> Void)

    /// Up to `max` messages, each invisible for the queue's visibility timeout; messages past their receive limit
    /// move to the dead-letter queue, expired ones are dropped. `maxBytes` bounds the bodies (one always goes).
    func receive(_ queue: String, max: Int, maxBytes: Int) async throws -> [Delivery]

    /// A batch's outcome: `deleted` messages are gone; `failed` ones keep their error and come back after their
    /// visibility timeout, or at `retryAt`.
    func settle(_ queue: String, deleted: [Receipt], failed: [(receipt: Receipt, error: String)],
                retryAt: EpochNanoseconds?) async throws

    /// Drops messages past their queue's retention, received or not; returns how many.
    func removeExpired() async throws -> Int

    /// Every queue, in name order, as the admin API and the metrics show it.
    func summaries() async throws -> [QueueSummary]
    /// Up to `limit` messages, oldest first, without receiving them.
    func peek(_ queue: String, limit: Int) async throws -> [QueuedMessage]
    /// Removes every message of the queue; returns how many.
    func purge(_ queue: String) async throws -> Int
    /// A dead-letter queue's messages back to the queues they came from, with a fresh receive count.
    func redrive(_ deadLetterQueue: String) async throws -> Int

    func close() async
}

extension QueueStore {
    /// `send` awaited, without an idempotency key (a consumer's `onFailure` record, tests).
    public func send(_ queue: String, body: [UInt8], id: String = MessageID.make()) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            send(queue, body: body, id: id, idempotencyKey: nil) { continuation.resume(with: $0) }
        }
    }

    public func receive(_ queue: String, max: Int) async throws -> [Delivery] {
        try await receive(queue, max: max, maxBytes: .max)
    }

    public func settle(_ queue: String, deleted: [Receipt], failed: [(receipt: Receipt, error: String)]) async throws {
        try await settle(queue, deleted: deleted, failed: failed, retryAt: nil)
    }
}

/// Why a queue operation was refused (the admin API answers 404 or 400; a route 503).
public enum QueueStoreError: Error, Equatable, CustomStringConvertible {
    case unknownQueue(String)
    case notADeadLetterQueue(String)
    case full(String)

    public var description: String {
        switch self {
        case .unknownQueue(let name): "no queue is named \"\(name)\""
        case .notADeadLetterQueue(let name): "no queue sends its dead letters to \"\(name)\""
        case .full(let name): "queue \"\(name)\" is full: it takes more once its consumer catches up"
        }
    }
}

/// Since this instance started, per queue: CloudWatch's NumberOfMessagesSent, Received and Deleted.
public struct QueueCounts: Sendable, Equatable {
    public var sent = 0
    public var received = 0
    public var deleted = 0

    public init(sent: Int = 0, received: Int = 0, deleted: Int = 0) {
        self.sent = sent
        self.received = received
        self.deleted = deleted
    }
}

/// One queue as the admin API and the metrics show it.
public struct QueueSummary: Sendable {
    public let name: String
    public let statistics: QueueStatistics
    public let counts: QueueCounts
    public let deadLetterQueue: String?

    public init(name: String, statistics: QueueStatistics, counts: QueueCounts, deadLetterQueue: String?) {
        self.name = name
        self.statistics = statistics
        self.counts = counts
        self.deadLetterQueue = deadLetterQueue
    }
}

/// Message ids: UUIDs in the version-7 layout (RFC 9562), the send time in milliseconds then 74 random bits.
/// SQS's ids are random UUIDs and consumers treat them as opaque; time-ordered ones go to the end of the journal's
/// index instead of a random page, so a commit of many messages rewrites a few pages, not one page each.
public enum MessageID {
    public static func make(epochMilliseconds: Int64 = WallClock.epochMilliseconds()) -> String {
        var generator = SystemRandomNumberGenerator()
        let random = generator.next() as UInt64, more = generator.next() as UInt64
        // Bytes 0-7: the 48-bit time, version 7, 12 random bits; bytes 8-15: the variant (10), 62 random bits.
        let high = UInt64(truncatingIfNeeded: epochMilliseconds) << 16 | 0x7000 | random & 0x0FFF
        let low = 0x8000_0000_0000_0000 | more & 0x3FFF_FFFF_FFFF_FFFF
        // Written straight into the string's storage: no byte arrays per id (one of the costs of each send).
        return String(unsafeUninitializedCapacity: 36) { out in
            var position = 0
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    out[position] = UInt8(ascii: "-")
                    position += 1
                }
                let byte = UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> UInt64((7 - index % 8) * 8))
                out[position] = ASCIIHex.digit(byte >> 4)
                out[position + 1] = ASCIIHex.digit(byte & 0xF)
                position += 2
            }
            return position
        }
    }
}
