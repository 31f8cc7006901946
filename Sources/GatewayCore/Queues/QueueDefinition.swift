/// One queue of the `queues` section, compiled: its SQS settings, where its dead letters go, and the function
/// that consumes it.
public struct QueueDefinition: Sendable, Equatable {
    public let name: String
    public let settings: QueueSettings
    /// A queue of the same config; nil: messages past `maxReceiveCount` are dropped (none without it).
    public let deadLetterQueue: String?
    public let consumer: QueueConsumerSettings?

    public init(name: String, settings: QueueSettings = QueueSettings(), deadLetterQueue: String? = nil,
                consumer: QueueConsumerSettings? = nil) {
        self.name = name
        self.settings = settings
        self.deadLetterQueue = deadLetterQueue
        self.consumer = consumer
    }
}

/// A queue's `consumer`: the function that gets its messages as SQS batches.
public struct QueueConsumerSettings: Sendable, Equatable {
    /// What the function is given.
    public enum Delivery: Sendable, Equatable {
        /// SQS batches (`Records[]`), settled by `batchItemFailures` (a configured queue's consumer).
        case sqsBatch
        /// Each message is an event the function gets as it is, retried and sent to `onFailure` by these rules
        /// (the internal queue of asynchronous invocation).
        case asyncEvent(AsyncInvocationSettings)
    }

    public let function: String
    /// Up to this many messages per batch (1–10000, default 10).
    public let batchSize: Int
    /// How long a batch may wait to fill up once it has a message (nanoseconds, ≤ 5 min, default 0: at once).
    public let batchWindow: Int64
    /// Batches in flight at once (default 2).
    public let maxConcurrency: Int
    public let delivery: Delivery

    public static let defaultBatchSize = 10
    public static let maxBatchSize = 10_000
    public static let maxBatchWindow: Int64 = 300 * QueueSettings.second
    public static let defaultMaxConcurrency = 2

    public init(function: String, batchSize: Int = Self.defaultBatchSize, batchWindow: Int64 = 0,
                maxConcurrency: Int = Self.defaultMaxConcurrency, delivery: Delivery = .sqsBatch) {
        self.function = function
        self.batchSize = batchSize
        self.batchWindow = batchWindow
        self.maxConcurrency = maxConcurrency
        self.delivery = delivery
    }
}

/// The `queue` integration: the request body becomes a message on `queue`, answered 202 `{"messageId"}` once durable.
public struct QueueIntegration: Sendable, Equatable {
    public let queue: String

    public init(queue: String) {
        self.queue = queue
    }
}
