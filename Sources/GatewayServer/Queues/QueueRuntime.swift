import GatewayCore
import Logging
import Synchronization

/// The running queues: their store, opened at start (from `state.path`, or in memory), and one consumer per queue
/// that has one. Every loop's `queue` routes send through it; the admin API reads and manages it. A queue file that
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
        var service: QueueService?
        var failure: String?
        var consumers: [String: Running] = [:]
    }

    private let state = Mutex(State())
    private let logger: Logger
    private let invoke: QueueConsumer.Invoke

    init(logger: Logger, invoke: @escaping QueueConsumer.Invoke) {
        self.logger = logger
        self.invoke = invoke
    }

    var service: QueueService? { state.withLock { $0.service } }
    /// Why the queues are not running (their file could not be opened); nil when they are, or none is defined.
    var failure: String? { state.withLock { $0.failure } }

    /// Opens the store and starts the consumers. Nothing is opened (no file made) when no queue is defined.
    func start(_ definitions: [QueueDefinition], directory: String?) async {
        guard !definitions.isEmpty else { return }
        do {
            let service = try await QueueService.open(definitions: definitions, directory: directory)
            state.withLock { $0.service = service }
            if directory == nil {
                logger.warning("queues are in memory: messages are lost when the gateway stops (set state.path to keep them)",
                               metadata: ["queues": "\(definitions.map(\.name).joined(separator: ","))"])
            }
            startConsumers(definitions, service: service)
        } catch {
            state.withLock { $0.failure = "\(error)" }
            logger.error("queues could not be opened: their routes answer 503 until the file is repaired",
                         metadata: ["directory": "\(directory ?? "")", "error": "\(error)"])
        }
    }

    /// A reload: new settings apply from now on; consumers whose settings changed are restarted. Queues a
    /// reload defines first are opened in the background (their routes answer 503 for that moment).
    func apply(_ definitions: [QueueDefinition], directory: String?) {
        guard let service else {
            if failure == nil, !definitions.isEmpty { Task { await start(definitions, directory: directory) } }
            return
        }
        service.define(definitions)
        startConsumers(definitions, service: service)
    }

    private func startConsumers(_ definitions: [QueueDefinition], service: QueueService) {
        let wanted = Dictionary(definitions.compactMap { definition in definition.consumer.map { (definition.name, $0) } },
                                uniquingKeysWith: { first, _ in first })
        let stopped = state.withLock { state -> [QueueConsumer] in
            var stopped: [QueueConsumer] = []
            for (name, running) in state.consumers where wanted[name] != running.consumer.settings {
                stopped.append(running.consumer)
                state.consumers[name] = nil
            }
            for (name, settings) in wanted where state.consumers[name] == nil {
                let consumer = QueueConsumer(queue: name, settings: settings, service: service, logger: logger,
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
        service.send(queue, body: body, idempotencyKey: idempotencyKey) { [logger] result in
            switch result {
            case .success(let id):
                consumer?.notify()
                completion(.success(id))
            case .failure(QueueService.QueueError.unknownQueue(let name)):
                completion(.failure(.unknownQueue(name)))
            case .failure(let error):
                logger.error("queue send failed", metadata: ["queue": "\(queue)", "error": "\(error)"])
                completion(.failure(.storage("\(error)")))
            }
        }
    }

    /// Stops taking batches (in-flight ones settle), then closes the store.
    func stop() async {
        let (running, service) = state.withLock { state -> ([Running], QueueService?) in
            let running = Array(state.consumers.values)
            state.consumers = [:]
            return (running, state.service)
        }
        for entry in running { entry.consumer.stop() }
        for entry in running { await entry.task.value }
        await service?.close()
    }
}
