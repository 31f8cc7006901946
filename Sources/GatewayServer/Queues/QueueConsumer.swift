import GatewayCore
import Logging
import Synchronization

/// Feeds one queue to its consumer function in SQS batches, as Lambda's event source mapping does: up to
/// `batchSize` messages, waiting up to `batchWindow` to fill a batch, at most `maxConcurrency` batches in flight.
/// A batch that succeeds is deleted; `batchItemFailures` fail only the messages they name; an error fails them all.
/// A failed message comes back after its visibility timeout, until `maxReceiveCount` sends it to the dead letters.
final class QueueConsumer: Sendable {
    /// Invokes a function by name with an event and waits for its outcome.
    typealias Invoke = @Sendable (_ function: String, _ event: [UInt8]) async -> InvocationOutcome

    let queue: String
    let settings: QueueConsumerSettings
    private let store: any QueueStore
    private let invoke: Invoke
    private let logger: Logger
    private let wake = WakeSignal()
    private let running = Atomic<Bool>(true)
    private let batchesInFlight = Atomic<Int>(0)
    /// Receives failed in a row (the store unreachable): the consumer waits longer before each next try and logs
    /// the first failure and the recovery, not every poll.
    private let failedReceives = FailureStreak()
    /// The longest wait between receives while the store fails.
    static let maxRetryInterval: Duration = .seconds(5)
    /// How often an idle consumer looks again (messages whose delay or visibility timeout ends); a send wakes it
    /// at once.
    static let pollInterval: Duration = .milliseconds(100)

    init(queue: String, settings: QueueConsumerSettings, store: any QueueStore, logger: Logger,
         invoke: @escaping Invoke) {
        self.queue = queue
        self.settings = settings
        self.store = store
        self.logger = logger
        self.invoke = invoke
    }

    /// A message was sent to the queue.
    func notify() { wake.notify() }

    /// No new batches; `run` returns once the batches in flight are settled.
    func stop() {
        running.store(false, ordering: .relaxed)
        wake.notify()
    }

    private var isRunning: Bool { running.load(ordering: .relaxed) }

    func run() async {
        await withDiscardingTaskGroup { group in
            while isRunning {
                while isRunning, batchesInFlight.load(ordering: .relaxed) < settings.maxConcurrency {
                    let batch = await nextBatch()
                    guard !batch.isEmpty else { break }
                    batchesInFlight.add(1, ordering: .relaxed)
                    group.addTask {
                        await self.process(batch)
                        self.batchesInFlight.subtract(1, ordering: .relaxed)
                        self.wake.notify()
                    }
                }
                await wake.wait(timeout: Self.pollInterval)
            }
        }
    }

    /// Bodies one batch may carry: Lambda's 6 MB event, less about 1 KiB of each record's own fields.
    private var bodyBudget: Int { max(MessageBody.maxBytes, 6_000_000 - settings.batchSize * 1024) }

    /// Up to `batchSize` messages; with a `batchWindow`, a batch that has one waits up to the window to fill up.
    private func nextBatch() async -> [Delivery] {
        var deliveries: [Delivery]
        do {
            deliveries = try await store.receive(queue, max: settings.batchSize, maxBytes: bodyBudget)
        } catch {
            await receiveFailed(error)
            return []
        }
        receiveSucceeded()
        guard !deliveries.isEmpty, settings.batchWindow > 0, deliveries.count < settings.batchSize else {
            return deliveries
        }
        let deadline = ContinuousClock.now + .nanoseconds(settings.batchWindow)
        while deliveries.count < settings.batchSize, isRunning {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { break }
            await wake.wait(timeout: min(left, Self.pollInterval))
            let held = deliveries.reduce(0) { $0 + $1.message.body.count }
            guard held < bodyBudget else { break }
            do {
                deliveries += try await store.receive(queue, max: settings.batchSize - deliveries.count,
                                                      maxBytes: bodyBudget - held)
            } catch {
                // What was received goes as it is: dropped, it would wait out its visibility timeout.
                logger.warning("queue receive failed while a batch filled", metadata: ["queue": "\(queue)", "error": "\(error)"])
                break
            }
        }
        return deliveries
    }

    private func receiveSucceeded() {
        if failedReceives.succeeded() > 0 {
            logger.info("queue receives work again", metadata: ["queue": "\(queue)"])
        }
    }

    private func receiveFailed(_ error: any Error) async {
        let failures = failedReceives.failed()
        if failures == 1 {
            logger.error("queue receive failed: retrying with back-off", metadata: ["queue": "\(queue)", "error": "\(error)"])
        }
        await wake.wait(timeout: Self.retryInterval(afterFailures: failures))
    }

    /// 100 ms after the first failure, doubling up to `maxRetryInterval`.
    static func retryInterval(afterFailures failures: Int) -> Duration {
        min(pollInterval * (1 << min(failures - 1, 16)), maxRetryInterval)
    }

    private func process(_ batch: [Delivery]) async {
        if case .asyncEvent(let rules) = settings.delivery {
            for delivery in batch { await processEvent(delivery, rules: rules) }
            return
        }
        let outcome = await invoke(settings.function, SQSEvent.batch(batch, queue: queue))
        let (deleted, failed) = Self.settlement(of: outcome, for: batch)
        if !failed.isEmpty {
            logger.warning("queue batch failed", metadata: ["queue": "\(queue)", "function": "\(settings.function)",
                                                            "failed": "\(failed.count)", "of": "\(batch.count)",
                                                            "error": "\(failed[0].error)"])
        }
        do {
            try await store.settle(queue, deleted: deleted, failed: failed)
        } catch {
            // Not recorded: the messages come back after their visibility timeout, as an unsettled batch would.
            logger.error("queue settle failed", metadata: ["queue": "\(queue)", "error": "\(error)"])
        }
    }

    /// Asynchronous invocation: the event as it was stored; a failure is retried after a back-off until
    /// `maximumRetryAttempts`, and an event past them or older than `maximumEventAge` goes to `onFailure` as
    /// Lambda's destination record.
    private func processEvent(_ delivery: Delivery, rules: AsyncInvocationSettings) async {
        let message = delivery.message
        let now = store.clock.now()
        var failure: (condition: String, error: FunctionError)?
        if now - message.sentAt > rules.maximumEventAge {
            failure = ("EventAgeExceeded", FunctionError(type: "EventAgeExceeded",
                                                         message: "the event is older than maximumEventAge"))
        } else if message.receiveCount > rules.maximumRetryAttempts + 1 {
            // Its retries were spent and only the onFailure send failed: not invoked again.
            failure = ("RetriesExhausted", Self.lastError(of: message))
        } else {
            let outcome = await invoke(settings.function, message.body)
            if let error = Self.asyncError(outcome) {
                if message.receiveCount <= rules.maximumRetryAttempts {
                    let retryAt = store.clock.now() + AsyncInvocation.retryDelay(attempt: message.receiveCount)
                    do {
                        try await store.settle(queue, deleted: [], failed: [(delivery.receipt, "\(error.type): \(error.message)")],
                                                 retryAt: retryAt)
                    } catch {
                        logger.error("queue settle failed", metadata: ["queue": "\(queue)", "error": "\(error)"])
                    }
                    return
                }
                failure = ("RetriesExhausted", error)
            }
        }
        if let failure {
            logger.warning("asynchronous invocation failed", metadata: [
                "function": "\(settings.function)", "messageId": "\(message.id)", "condition": "\(failure.condition)",
                "errorType": "\(failure.error.type)", "onFailure": "\(rules.onFailure ?? "none: dropped")"])
            if let destination = rules.onFailure {
                let record = AsyncFailureRecord.encode(message: message, function: settings.function,
                                                       condition: failure.condition, error: failure.error, at: now)
                do {
                    _ = try await store.send(destination, body: record)
                } catch {
                    // Kept on this queue: it comes back after its visibility timeout and is tried for the record again.
                    logger.error("onFailure send failed", metadata: ["queue": "\(destination)", "error": "\(error)"])
                    return
                }
            }
        }
        do {
            try await store.settle(queue, deleted: [delivery.receipt], failed: [])
        } catch {
            logger.error("queue settle failed", metadata: ["queue": "\(queue)", "error": "\(error)"])
        }
    }

    /// The error a message kept from its last attempt ("TYPE: message"), as a function error.
    static func lastError(of message: QueuedMessage) -> FunctionError {
        let text = message.lastError ?? "Unhandled: the last attempt failed"
        guard let colon = text.firstIndex(of: ":") else { return FunctionError(type: "Unhandled", message: text) }
        return FunctionError(type: String(text[..<colon]),
                             message: String(text[text.index(after: colon)...].drop(while: { $0 == " " })))
    }

    /// An asynchronous invocation fails on a function error, a timeout, throttling or an unavailable function;
    /// any result counts as success (Lambda does not read it).
    static func asyncError(_ outcome: InvocationOutcome) -> FunctionError? {
        switch outcome {
        case .result: nil
        case .functionError(let error): error
        case .timedOut: FunctionError(type: "Sandbox.Timedout", message: "the function did not finish within its timeout")
        case .throttled: FunctionError(type: "TooManyRequestsException", message: "the function was at its maxConcurrency")
        case .unavailable(let reason): FunctionError(type: "ServiceException", message: reason)
        }
    }

    /// Which messages of a batch are done and which failed (with the error kept for the dead-letter queue).
    static func settlement(of outcome: InvocationOutcome, for batch: [Delivery])
        -> (deleted: [Receipt], failed: [(receipt: Receipt, error: String)]) {
        let all = batch.map(\.receipt)
        func failAll(_ error: String) -> ([Receipt], [(receipt: Receipt, error: String)]) {
            ([], all.map { ($0, error) })
        }
        switch outcome {
        case .result(let bytes):
            switch SQSEvent.outcome(of: bytes, batch: batch) {
            case .succeeded:
                return (all, [])
            case .partial(let failedIDs):
                let failed = all.filter { failedIDs.contains($0.id) }
                return (all.filter { !failedIDs.contains($0.id) },
                        failed.map { ($0, "listed in batchItemFailures") })
            case .failed(let reason):
                return failAll("invalid batch response: \(reason)")
            }
        case .functionError(let error):
            return failAll("\(error.type): \(error.message)")
        case .timedOut:
            return failAll("Sandbox.Timedout: the function did not finish within its timeout")
        case .throttled:
            return failAll("the function was at its maxConcurrency")
        case .unavailable(let reason):
            return failAll("the function is unavailable: \(reason)")
        }
    }
}
