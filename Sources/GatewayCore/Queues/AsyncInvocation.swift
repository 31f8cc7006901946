/// A function's `async` settings (Lambda's asynchronous invocation): retries with back-off, an age past which an
/// event is not tried again, and the queue that keeps what failed.
public struct AsyncInvocationSettings: Sendable, Equatable {
    /// Retries after the first attempt, 0–2.
    public var maximumRetryAttempts: Int
    /// Nanoseconds, 60 s to 6 h.
    public var maximumEventAge: Int64
    /// A queue of the `queues` section; nil: a failed event is logged and dropped.
    public var onFailure: String?

    public static let defaultMaximumEventAge: Int64 = 6 * 3600 * QueueSettings.second

    public init(maximumRetryAttempts: Int = 2, maximumEventAge: Int64 = Self.defaultMaximumEventAge,
                onFailure: String? = nil) {
        self.maximumRetryAttempts = maximumRetryAttempts
        self.maximumEventAge = maximumEventAge
        self.onFailure = onFailure
    }
}

/// Asynchronous invocation as a queue: each function invoked with `"invocationType": "Event"` gets an internal queue
/// (`@async:NAME`, a name no configured queue can have) holding its events, durable like any queue, consumed one
/// event at a time by invoking the function with the event itself.
public enum AsyncInvocation {
    public static let queuePrefix = "@async:"

    public static func queueName(_ function: String) -> String { queuePrefix + function }

    /// Delay before retry `attempt` (1 for the first retry): 1 s, then 2 s. Lambda waits a minute, then two; a
    /// gateway in front of local functions retries sooner, with the same doubling.
    public static func retryDelay(attempt: Int) -> Int64 {
        QueueSettings.second << Int64(max(0, min(attempt - 1, 10)))
    }

    /// The internal queues of the functions `apis` invoke with `Event`, in function order.
    public static func queues(functions: [FunctionDefinition], apis: [CompiledAPI]) -> [QueueDefinition] {
        var invoked = Set<Int>()
        for api in apis {
            for route in api.routes {
                if case .function(let integration) = route.integration, integration.invocationType == .event {
                    invoked.insert(integration.functionIndex)
                }
            }
        }
        return invoked.sorted().map { index in
            let function = functions[index]
            // Invisible while an invocation may still run; a crash mid-invocation makes it visible again.
            let visibility = Int64(function.timeout.components.seconds) * QueueSettings.second + 30 * QueueSettings.second
            return QueueDefinition(name: queueName(function.name),
                                   // SQS's longest retention: an event past maximumEventAge must reach the consumer
                                   // to go to onFailure (EventAgeExceeded), not expire on the way.
                                   settings: QueueSettings(visibilityTimeout: visibility,
                                                           retention: 14 * 86_400 * QueueSettings.second),
                                   consumer: QueueConsumerSettings(function: function.name, batchSize: 1,
                                                                   maxConcurrency: 4, delivery: .asyncEvent(function.async)))
        }
    }
}
