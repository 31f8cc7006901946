import GatewayCore
import NIOCore
import Redis
import Synchronization

/// Queues for a fleet: each queue a Redis Stream read through one consumer group, so every instance's consumers
/// share its messages and a message is in flight on one instance at a time (`QueueScripts` says how SQS's
/// semantics map onto streams). An instance that dies with a batch in flight leaves it on the pending list, and
/// another instance claims it once its visibility timeout has passed.
///
/// A message is as durable as the Redis server keeps it (its `appendonly`/`appendfsync` settings); its size is
/// bounded by the server's `maxmemory`, past which a send fails (the route answers 503).
public final class RedisQueueStore: QueueStore {
    public let clock: any GatewayClock
    public var isDurable: Bool { true }
    let pool: RedisPool
    let keyPrefix: String
    /// This instance's name in the consumer groups (the pending list says who holds what).
    let consumerName: String
    static let group: RESPArgument = "portcullis"

    private struct State {
        var definitions: [String: QueueDefinition] = [:]
        var counts: [String: QueueCounts] = [:]
    }

    private let state = Mutex(State())

    /// How long a consumer that holds nothing stays listed in a group after it was last heard from (nanoseconds).
    let idleConsumerLifetime: Int64

    private let sends = TickBatches<QueuedSend>()
    /// The longest a batch of sends waits for Redis before its routes answer 503.
    static let sendBudget: TimeAmount = .seconds(5)

    /// Entries one expiry script call drops at most (the sweep calls it again while it drops that many).
    static let expiryBatch = 1000
    /// Bodies one peek returns at most, together (a message always): 1000 bodies of 256 KiB would be a reply of
    /// 256 MiB.
    static let maxPeekBytes = 16 * 1_048_576

    /// Entries a redrive moves per script call (a long one would stall every other client of the server).
    static let redriveBatch = 500

    public init(pool: RedisPool, keyPrefix: String, consumerName: String, clock: any GatewayClock = SystemClock(),
                idleConsumerLifetime: Int64 = 3600 * 1_000_000_000) {
        self.idleConsumerLifetime = idleConsumerLifetime
        self.pool = pool
        self.keyPrefix = keyPrefix
        self.consumerName = consumerName
        self.clock = clock
    }

    public func define(_ definitions: [QueueDefinition]) {
        state.withLock { state in
            for definition in definitions { state.definitions[definition.name] = definition }
        }
    }

    private func definition(_ queue: String) throws -> QueueDefinition {
        guard let definition = state.withLock({ $0.definitions[queue] }) else { throw QueueStoreError.unknownQueue(queue) }
        return definition
    }

    func stream(_ queue: String) -> RESPArgument { .string(keyPrefix + "qs:" + queue) }
    func delayed(_ queue: String) -> RESPArgument { .string(keyPrefix + "qd:" + queue) }
    func info(_ queue: String) -> RESPArgument { .string(keyPrefix + "qi:" + queue) }
    /// A queue's stream, delayed set and info hash, as most scripts take them.
    func keys(_ queue: String) -> [RESPArgument] { [stream(queue), delayed(queue), info(queue)] }
    func idempotency(_ key: String) -> RESPArgument { .string(keyPrefix + "qk:" + key) }

    private static func milliseconds(_ nanoseconds: Int64) -> RESPArgument { .integer(nanoseconds / 1_000_000) }

    private func evaluate(_ script: RedisScript, keys: [RESPArgument], arguments: [RESPArgument]) -> EventLoopFuture<RESPValue> {
        pool.evaluate(script, keys: keys, arguments: arguments, on: RedisPool.currentOrAnyLoop()).flatMapThrowing { reply in
            if case .error(let message) = reply { throw RedisQueueError.reply(message) }
            return reply
        }
    }

    private func count(_ queue: String, _ change: (inout QueueCounts) -> Void) {
        state.withLock { change(&$0.counts[queue, default: QueueCounts()]) }
    }

    /// Joins the sending loop's batch: the sends of one tick go to Redis as one script call (one write, one reply,
    /// one script run), as limit decisions do.
    public func send(_ queue: String, body: [UInt8], id: String, idempotencyKey: String?,
                     completion: @escaping @Sendable (Result<String, any Error>) -> Void) {
        let definition: QueueDefinition
        do { definition = try self.definition(queue) } catch { return completion(.failure(error)) }
        let eventLoop = RedisPool.currentOrAnyLoop()
        guard eventLoop.inEventLoop else {
            return eventLoop.execute { self.send(queue, body: body, id: id, idempotencyKey: idempotencyKey, completion: completion) }
        }
        let batch = sends.batch(of: eventLoop).value
        batch.entries.append(QueuedSend(queue: queue, completion: completion))
        batch.keys += [stream(queue), delayed(queue), idempotencyKey.map { idempotency($0) } ?? stream(queue)]
        batch.arguments += [.string(id), .bytes(ByteBuffer(bytes: body)), Self.milliseconds(definition.settings.delay),
                            idempotencyKey == nil ? 0 : 1]
        batch.joined(by: self, on: eventLoop, budget: Self.sendBudget)
    }

    public func receive(_ queue: String, max: Int, maxBytes: Int) async throws -> [Delivery] {
        let definition = try self.definition(queue)
        let settings = definition.settings
        var scriptKeys = keys(queue)
        if let deadLetterQueue = definition.deadLetterQueue { scriptKeys.append(stream(deadLetterQueue)) }
        let arguments: [RESPArgument] = [
            Self.group, .string(consumerName), .integer(Int64(max)), Self.milliseconds(settings.visibilityTimeout),
            .integer(Int64(settings.maxReceiveCount ?? 0)), Self.milliseconds(settings.retention),
            .integer(Int64(maxBytes)), .string(queue),
        ]
        let reply = try await evaluate(QueueScripts.receive, keys: scriptKeys, arguments: arguments).get()
        let deliveries = try Self.deliveries(reply, visibilityTimeout: settings.visibilityTimeout, now: clock.now())
        count(queue) { $0.received += deliveries.count }
        return deliveries
    }

    /// The receive script's reply as deliveries; a receipt names the stream entry and the receive count.
    static func deliveries(_ reply: RESPValue, visibilityTimeout: Int64, now: EpochNanoseconds) throws -> [Delivery] {
        guard let parts = reply.array, parts.count == 3, let rows = parts[0].array else {
            throw RedisQueueError.malformed("receive", reply)
        }
        return try rows.map { row in
            guard let fields = row.array, fields.count == 8, let entry = fields[0].string, let id = fields[1].string,
                  case .bulkString(let body) = fields[2], let sent = fields[3].string.flatMap({ Int64($0) }),
                  let receives = fields[4].integer, let first = fields[5].string.flatMap({ Int64($0) }),
                  let error = fields[6].string, let origin = fields[7].string else {
                throw RedisQueueError.malformed("receive", row)
            }
            let message = QueuedMessage(id: id, body: Array(body.readableBytesView), sentAt: sent * 1_000_000,
                                        visibleAt: now + visibilityTimeout, receiveCount: Int(receives),
                                        firstReceivedAt: first * 1_000_000, lastError: error.isEmpty ? nil : error,
                                        origin: origin.isEmpty ? nil : origin)
            return Delivery(message: message, receipt: Receipt(id: id, generation: Int(receives), entry: entry))
        }
    }

    public func settle(_ queue: String, deleted: [Receipt], failed: [(receipt: Receipt, error: String)],
                       retryAt: EpochNanoseconds?) async throws {
        guard !deleted.isEmpty || !failed.isEmpty else { return }
        let definition = try self.definition(queue)
        let retryDelay: Int64 = retryAt.map { Swift.max(0, $0 - clock.now()) / 1_000_000 } ?? -1
        var arguments: [RESPArgument] = [Self.group, .string(consumerName),
                                         Self.milliseconds(definition.settings.visibilityTimeout)]
        for receipt in deleted {
            arguments += [.string(receipt.entry), .integer(Int64(receipt.generation)), "d", "", -1]
        }
        for (receipt, error) in failed {
            arguments += [.string(receipt.entry), .integer(Int64(receipt.generation)), "f", .string(error),
                          .integer(retryDelay)]
        }
        let reply = try await evaluate(QueueScripts.settle, keys: [stream(queue), info(queue)], arguments: arguments).get()
        guard let removed = reply.integer else { throw RedisQueueError.malformed("settle", reply) }
        count(queue) { $0.deleted += Int(removed) }
    }

    public func removeExpired() async throws -> Int {
        let definitions = state.withLock { Array($0.definitions.values) }
        var removed = 0
        for definition in definitions {
            let queueKeys = keys(definition.name)
            let arguments: [RESPArgument] = [Self.milliseconds(definition.settings.retention), Self.group,
                                             Self.milliseconds(idleConsumerLifetime), .integer(Int64(Self.expiryBatch))]
            while true {
                let reply = try await evaluate(QueueScripts.expire, keys: queueKeys, arguments: arguments).get()
                guard let count = reply.integer else { throw RedisQueueError.malformed("expire", reply) }
                removed += Int(count)
                if count < Self.expiryBatch { break }
            }
        }
        return removed
    }

    /// Every defined queue (their statistics asked for together: one round trip).
    public func summaries() async throws -> [QueueSummary] {
        let (definitions, counts) = state.withLock { state in
            (state.definitions.values.sorted { $0.name < $1.name }, state.counts)
        }
        let replies = definitions.map { definition in
            evaluate(QueueScripts.statistics, keys: [stream(definition.name), delayed(definition.name)],
                     arguments: [Self.group])
        }
        var summaries: [QueueSummary] = []
        for (definition, reply) in zip(definitions, replies) {
            summaries.append(QueueSummary(name: definition.name, statistics: try Self.statistics(try await reply.get()),
                                          counts: counts[definition.name] ?? QueueCounts(),
                                          deadLetterQueue: definition.deadLetterQueue))
        }
        return summaries
    }

    static func statistics(_ reply: RESPValue) throws -> QueueStatistics {
        guard let parts = reply.array, parts.count == 5, let visible = parts[0].integer, let inFlight = parts[1].integer,
              let delayed = parts[2].integer, let oldest = parts[3].string, let now = parts[4].string.flatMap({ Int64($0) })
        else { throw RedisQueueError.malformed("statistics", reply) }
        let age = Int64(oldest).map { Swift.max(0, now - $0) * 1_000_000 } ?? 0
        return QueueStatistics(visible: Int(Swift.max(0, visible)), inFlight: Int(inFlight), delayed: Int(delayed),
                               oldestAgeNanoseconds: age)
    }

    public func peek(_ queue: String, limit: Int) async throws -> [QueuedMessage] {
        _ = try definition(queue)
        let reply = try await evaluate(QueueScripts.peek, keys: keys(queue),
                                       arguments: [Self.group, .integer(Int64(Swift.max(1, limit))),
                                                   .integer(Int64(Self.maxPeekBytes))]).get()
        guard let rows = reply.array else { throw RedisQueueError.malformed("peek", reply) }
        return try rows.map { row in
            guard let fields = row.array, fields.count == 7, let id = fields[0].string, case .bulkString(let body) = fields[1],
                  let sent = fields[2].string.flatMap({ Int64($0) }), let receives = fields[3].integer,
                  let error = fields[4].string, let origin = fields[5].string, let first = fields[6].string else {
                throw RedisQueueError.malformed("peek", row)
            }
            return QueuedMessage(id: id, body: Array(body.readableBytesView), sentAt: sent * 1_000_000,
                                 visibleAt: sent * 1_000_000, receiveCount: Int(receives),
                                 firstReceivedAt: Int64(first).map { $0 * 1_000_000 },
                                 lastError: error.isEmpty ? nil : error, origin: origin.isEmpty ? nil : origin)
        }
    }

    public func purge(_ queue: String) async throws -> Int {
        _ = try definition(queue)
        let reply = try await evaluate(QueueScripts.purge, keys: keys(queue),
                                       arguments: [Self.group]).get()
        guard let removed = reply.integer else { throw RedisQueueError.malformed("purge", reply) }
        return Int(removed)
    }

    public func redrive(_ deadLetterQueue: String) async throws -> Int {
        let sources = try state.withLock { state -> [String] in
            guard state.definitions[deadLetterQueue] != nil else { throw QueueStoreError.unknownQueue(deadLetterQueue) }
            let sources = state.definitions.values.filter { $0.deadLetterQueue == deadLetterQueue }.map(\.name).sorted()
            guard !sources.isEmpty else { throw QueueStoreError.notADeadLetterQueue(deadLetterQueue) }
            return sources
        }
        let keys = [stream(deadLetterQueue), info(deadLetterQueue)] + sources.map { stream($0) }
        var moved = 0
        var start = "-"
        while true {
            let arguments: [RESPArgument] = [Self.group, .integer(Int64(Self.redriveBatch)), .string(start)]
                + sources.map { .string($0) }
            let reply = try await evaluate(QueueScripts.redrive, keys: keys, arguments: arguments).get()
            guard let parts = reply.array, parts.count == 3, let count = parts[0].integer, let last = parts[1].string,
                  let looked = parts[2].integer else { throw RedisQueueError.malformed("redrive", reply) }
            moved += Int(count)
            guard looked == Self.redriveBatch, !last.isEmpty else { return moved }
            start = "(" + last
        }
    }

    /// Nothing of its own to close: the fleet's pool is closed when the instance leaves.
    public func close() async {}
}

public enum RedisQueueError: Error, CustomStringConvertible {
    /// The server refused a script (out of memory, a key of another type).
    case reply(String)
    case malformed(String, RESPValue)

    public var description: String {
        switch self {
        case .reply(let message): "Redis refused the queue operation: \(message)"
        case .malformed(let script, let reply): "Redis answered the queue \(script) script with \(reply)"
        }
    }
}

/// A send waiting in its loop's batch.
struct QueuedSend {
    let queue: String
    let completion: @Sendable (Result<String, any Error>) -> Void
}

extension RedisQueueStore: TickBatchSender {
    func call(_ batch: TickBatch<QueuedSend>.Taken, on eventLoop: EventLoop, within budget: TimeAmount) -> EventLoopFuture<RESPValue> {
        pool.evaluate(QueueScripts.send, keys: batch.keys,
                      arguments: batch.arguments + [Self.milliseconds(IdempotencyTable.defaultTTL)],
                      on: eventLoop, within: budget)
    }

    func answer(_ entries: [QueuedSend], with result: Result<RESPValue, any Error>) {
        let results: [Result<SendOutcome, any Error>]
        switch result {
        case .success(let reply):
            results = Self.sent(reply, count: entries.count)
        case .failure(let error):
            results = Array(repeating: .failure(error), count: entries.count)
        }
        for (entry, result) in zip(entries, results) {
            if case .success(let outcome) = result, outcome.stored { count(entry.queue) { $0.sent += 1 } }
            entry.completion(result.map(\.id))
        }
    }

    /// A send's answer: its message id, or a repeated key's first id (then nothing was stored).
    struct SendOutcome: Equatable {
        let id: String
        let stored: Bool
    }

    /// Each send's outcome from the send script's reply.
    static func sent(_ reply: RESPValue, count: Int) -> [Result<SendOutcome, any Error>] {
        if case .error(let message) = reply { return Array(repeating: .failure(RedisQueueError.reply(message)), count: count) }
        guard let values = reply.array, values.count == 2 * count else {
            return Array(repeating: .failure(RedisQueueError.malformed("send", reply)), count: count)
        }
        return (0..<count).map { index in
            guard let stored = values[2 * index].integer, let id = values[2 * index + 1].string else {
                return .failure(RedisQueueError.malformed("send", values[2 * index]))
            }
            return .success(SendOutcome(id: id, stored: stored == 1))
        }
    }
}
