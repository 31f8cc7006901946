import GatewayCore
import Logging
import Synchronization

/// The running queues: their store, opened at start (from `state.path`, in memory, or Redis Streams in fleet mode),
/// and one consumer per queue that has one. Every loop's `queue` routes send through it; the admin API reads and manages it. A queue file that
/// cannot be opened leaves the queues unavailable (their routes answer 503) and every other route serving.
final class QueueRuntime: Sendable {
    enum SendFailure: Error, CustomStringConvertible {
        case unavailable(String)
        case unknownQueue(String)
        case storage(String)

        var description: String {
            switch self {
            case .unavailable(let reason): "queues are unavailable: \(reason)"
            case .unknownQueue(let name): "queue \(name) is not running"
            case .storage(let reason): "the message could not be stored: \(reason)"
            }
        }
    }

    private struct Running {
        let consumer: QueueConsumer
        let task: Task<Void, Never>
    }

    private struct State {
        var service: (any QueueStore)?
        var failure: String?
        var consumers: [String: Running] = [:]
        /// Set while the store is being opened: a second start (two quick reloads) only leaves its definitions.
        var starting = false
        var startingDefinitions: [QueueDefinition]?
        var sweeper: Task<Void, Never>?
        /// Consumers a reload replaced, still settling their last batches.
        var retired: [Running] = []
    }

    private let state = Mutex(State())
    /// Sends failed since the last that worked.
    private let failedSends = FailureStreak()
    private let logger: Logger
    private let invoke: QueueConsumer.Invoke

    init(logger: Logger, invoke: @escaping QueueConsumer.Invoke) {
        self.logger = logger
        self.invoke = invoke
    }

    var service: (any QueueStore)? { state.withLock { $0.service } }
    /// Why the queues are not running (their file could not be opened); nil when they are, or none is defined.
    var failure: String? { state.withLock { $0.failure } }

    /// Where the queues are kept.
    enum Storage: Sendable {
        /// In this process, journaled under `directory` (nil: in memory only).
        case local(directory: String?)
        /// Redis Streams, shared by the fleet (`state.store = "redis"`).
        case fleet(any QueueStore)
    }

    /// Opens the store and starts the consumers. Nothing is opened (no file made) when no queue is defined.
    func start(_ definitions: [QueueDefinition], storage: Storage) async {
        guard !definitions.isEmpty else { return }
        let first = state.withLock { state -> Bool in
            guard !state.starting, state.service == nil else {
                state.startingDefinitions = definitions
                return false
            }
            state.starting = true
            return true
        }
        guard first else { return }
        do {
            let service: any QueueStore
            switch storage {
            case .local(let directory): service = try await QueueService.open(definitions: definitions, directory: directory)
            case .fleet(let store):
                service = store
                service.define(definitions)
            }
            // A reload that came while opening: its definitions are the ones that apply.
            let latest = state.withLock { state -> [QueueDefinition]? in
                state.service = service
                state.starting = false
                defer { state.startingDefinitions = nil }
                return state.startingDefinitions
            }
            let definitions = latest ?? definitions
            if latest != nil { service.define(definitions) }
            startSweeper(service)
            if case .local(nil) = storage {
                logger.warning("queues are in memory: messages are lost when the gateway stops (set state.path to keep them)",
                               metadata: ["queues": "\(definitions.map(\.name).joined(separator: ","))"])
            }
            startConsumers(definitions, service: service)
        } catch {
            state.withLock { state in
                state.failure = "\(error)"
                state.starting = false
            }
            logger.error("queues could not be opened: their routes answer 503 until the file is repaired",
                         metadata: ["error": "\(error)"])
        }
    }

    /// Every minute, messages past their retention go, received or not.
    private func startSweeper(_ service: any QueueStore) {
        let logger = self.logger
        let task = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(60))
                guard !Task.isCancelled else { return }
                do {
                    let removed = try await service.removeExpired()
                    if removed > 0 { logger.info("queue messages expired", metadata: ["removed": "\(removed)"]) }
                } catch {
                    logger.error("queue expiry failed", metadata: ["error": "\(error)"])
                }
            }
        }
        state.withLock { $0.sweeper = task }
    }

    /// A reload: new settings apply from now on; consumers whose settings changed are restarted. Queues a
    /// reload defines first are opened in the background (their routes answer 503 for that moment).
    func apply(_ definitions: [QueueDefinition], storage: Storage) {
        guard let service else {
            if failure == nil, !definitions.isEmpty { Task { await start(definitions, storage: storage) } }
            return
        }
        service.define(definitions)
        startConsumers(definitions, service: service)
    }

    private func startConsumers(_ definitions: [QueueDefinition], service: any QueueStore) {
        let wanted = Dictionary(definitions.compactMap { definition in definition.consumer.map { (definition.name, $0) } },
                                uniquingKeysWith: { first, _ in first })
        let stopped = state.withLock { state -> [QueueConsumer] in
            var stopped: [QueueConsumer] = []
            for (name, running) in state.consumers where wanted[name] != running.consumer.settings {
                stopped.append(running.consumer)
                state.retired.append(running)
                state.consumers[name] = nil
            }
            for (name, settings) in wanted where state.consumers[name] == nil {
                let consumer = QueueConsumer(queue: name, settings: settings, store: service, logger: logger,
                                             invoke: invoke)
                state.consumers[name] = Running(consumer: consumer, task: Task { await consumer.run() })
            }
            return stopped
        }
        for consumer in stopped { consumer.stop() }
    }

    /// Stores `body` on `queue`; `completion` gets the message id once it is durable (on the committing task).
    func send(_ queue: String, body: [UInt8], idempotencyKey: String? = nil,
              completion: @escaping @Sendable (Result<String, SendFailure>) -> Void) {
        let (service, failure, consumer) = state.withLock { ($0.service, $0.failure, $0.consumers[queue]?.consumer) }
        guard let service else { return completion(.failure(.unavailable(failure ?? "they are not started"))) }
        service.send(queue, body: body, id: MessageID.make(), idempotencyKey: idempotencyKey) { [self] result in
            switch result {
            case .success(let id):
                sendSucceeded()
                consumer?.notify()
                completion(.success(id))
            case .failure(QueueStoreError.unknownQueue(let name)):
                completion(.failure(.unknownQueue(name)))
            case .failure(let full as QueueStoreError):
                completion(.failure(.storage("\(full)")))
            case .failure(let error):
                // The store's own words (a file path, a Redis error) go to the log, not to the client.
                sendFailed(queue, error)
                completion(.failure(.storage("the queue store failed (the gateway's log says why)")))
            }
        }
    }

    /// A failing store (a full disk, Redis away) fails every send: the first failure of a run is logged with its
    /// error, then the recovery with how many failed, not one line per request.
    private func sendFailed(_ queue: String, _ error: any Error) {
        if failedSends.failed() == 1 {
            logger.error("queue sends fail: routes answer 503 until the store is back", metadata: ["queue": "\(queue)", "error": "\(error)"])
        }
    }

    private func sendSucceeded() {
        let failed = failedSends.succeeded()
        if failed > 0 { logger.info("queue sends work again", metadata: ["failed": "\(failed)"]) }
    }

    /// Stops taking batches and waits up to `grace` for those in flight to settle (a batch not settled then comes
    /// back after its visibility timeout), then closes the store.
    func stop(grace: Duration = .seconds(10)) async {
        let (running, service, sweeper) = state.withLock { state -> ([Running], (any QueueStore)?, Task<Void, Never>?) in
            let running = Array(state.consumers.values) + state.retired
            state.consumers = [:]
            state.retired = []
            return (running, state.service, state.sweeper)
        }
        sweeper?.cancel()
        for entry in running { entry.consumer.stop() }
        // Whichever comes first: every batch settled, or the grace (a task group would wait for both).
        let resumed = Mutex(false)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeOnce: @Sendable () -> Void = {
                if resumed.withLock({ done in defer { done = true }; return !done }) { continuation.resume() }
            }
            Task {
                for entry in running { await entry.task.value }
                resumeOnce()
            }
            Task {
                try? await Task.sleep(for: grace)
                resumeOnce()
            }
        }
        await service?.close()
    }
}
