import GatewayCore

/// `queues`: each queue's SQS settings (`visibilityTimeout`, `maxReceiveCount`, `deadLetterQueue`, `delay`,
/// `retention`) and the function that consumes it (`consumer`), with SQS's bounds.
enum QueueDecoder {
    static let maxVisibilityTimeout = Duration.seconds(12 * 3600)
    static let maxDelay = Duration.seconds(15 * 60)
    static let minRetention = Duration.seconds(60)
    static let maxRetention = Duration.seconds(14 * 86_400)
    static let maxReceiveCountRange = 1...1000
    static let maxConcurrencyRange = 1...1000

    struct Decoded {
        var queues: [QueueDefinition]?
        /// The names routes may send to; nil when `queues` had errors, so routes do not report names that only
        /// failed to decode.
        var names: Set<String>?
    }

    /// One queue as read: its name even when something else in it is wrong, and its `deadLetterQueue`, which is
    /// checked once every name of the section is known.
    struct Item {
        var name: String?
        var definition: QueueDefinition?
        var deadLetter: (name: String, pointer: String)?
    }

    /// `functions` is nil when the `functions` section had errors (a consumer's function is then not checked).
    static func decode(_ node: Node?, functions: FunctionCatalog?) -> Decoded {
        guard let node else { return Decoded(queues: [], names: []) }
        guard let items = node.array() else { return Decoded(queues: nil, names: nil) }
        var decoded: [Item] = []
        var firstPointer: [String: String] = [:]
        var ok = true
        for item in items {
            let queue = decodeQueue(item, functions: functions)
            decoded.append(queue)
            if queue.definition == nil { ok = false }
            guard let name = queue.name else { continue }
            if let earlier = firstPointer[name] {
                node.context.error(JSONPointer.appending(item.pointer, "name"),
                                   "duplicate queue name \"\(name)\" (also at \(earlier))")
                ok = false
                continue
            }
            firstPointer[name] = item.pointer
        }
        // With a name that failed to decode, an unknown dead-letter name may be that one: it is not reported then.
        let allNamed = decoded.allSatisfy { $0.name != nil }
        for queue in decoded {
            guard let name = queue.name, let deadLetter = queue.deadLetter else { continue }
            if deadLetter.name == name {
                node.context.error(deadLetter.pointer, "must name another queue, not \"\(name)\" itself")
                ok = false
            } else if allNamed, firstPointer[deadLetter.name] == nil {
                let hint = KeySuggestion.hint(for: deadLetter.name, among: firstPointer.keys.filter { $0 != name }.sorted(),
                                              none: "; \"queues\" defines no other queue")
                node.context.error(deadLetter.pointer, "no queue named \"\(deadLetter.name)\"\(hint)")
                ok = false
            }
        }
        guard ok else { return Decoded(queues: nil, names: nil) }
        let queues = decoded.compactMap(\.definition)
        return Decoded(queues: queues, names: Set(queues.map(\.name)))
    }

    static func decodeQueue(_ node: Node, functions: FunctionCatalog?) -> Item {
        guard let reader = node.object() else { return Item() }
        defer { reader.finish() }
        let context = node.context
        let before = context.errorCount
        let name = reader.required("name").flatMap(FunctionDecoder.decodeName)
        let visibilityTimeout = reader.optional("visibilityTimeout")
            .map { $0.duration(max: maxVisibilityTimeout, minExclusive: true) } ?? .seconds(30)
        let maxReceiveCountNode = reader.optional("maxReceiveCount")
        let maxReceiveCount = maxReceiveCountNode?.int(in: maxReceiveCountRange)
        var deadLetter: (name: String, pointer: String)?
        if let deadLetterNode = reader.optional("deadLetterQueue") {
            if let target = deadLetterNode.string() { deadLetter = (target, deadLetterNode.pointer) }
            if maxReceiveCountNode == nil {
                context.error(deadLetterNode.pointer,
                              "\"deadLetterQueue\" needs \"maxReceiveCount\" (the receives after which a message moves there)")
            }
        }
        let delay = reader.optional("delay").map { $0.duration(max: maxDelay) } ?? .zero
        let retention = reader.optional("retention").map { $0.duration(max: maxRetention, min: minRetention) }
            ?? .seconds(4 * 86_400)
        let consumerNode = reader.optional("consumer")
        let consumer = consumerNode.map { decodeConsumer($0, functions: functions) }
        guard context.errorCount == before, let name, let visibilityTimeout, let delay, let retention else {
            return Item(name: name, deadLetter: deadLetter)
        }
        if let consumer, consumer == nil { return Item(name: name, deadLetter: deadLetter) }
        let settings = QueueSettings(visibilityTimeout: nanoseconds(visibilityTimeout), maxReceiveCount: maxReceiveCount,
                                     delay: nanoseconds(delay), retention: nanoseconds(retention))
        let definition = QueueDefinition(name: name, settings: settings, deadLetterQueue: deadLetter?.name,
                                         consumer: consumer ?? nil)
        return Item(name: name, definition: definition, deadLetter: deadLetter)
    }

    /// `consumer`: the function that gets the queue's messages as SQS batches.
    static func decodeConsumer(_ node: Node, functions: FunctionCatalog?) -> QueueConsumerSettings? {
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        let context = node.context
        let before = context.errorCount
        var function: String?
        if let functionNode = reader.required("function"), let text = functionNode.string() {
            function = text
            if let functions, functions.byName[text] == nil {
                let hint = KeySuggestion.hint(for: text, among: functions.byName.keys.sorted(), none: "; \"functions\" defines none")
                context.error(functionNode.pointer, "no function named \"\(text)\"\(hint)")
            }
        }
        let batchSize = reader.optional("batchSize").map { $0.int(in: 1...QueueConsumerSettings.maxBatchSize) }
            ?? QueueConsumerSettings.defaultBatchSize
        let batchWindow = reader.optional("batchWindow")
            .map { $0.duration(max: .nanoseconds(QueueConsumerSettings.maxBatchWindow)) } ?? .zero
        let maxConcurrency = reader.optional("maxConcurrency").map { $0.int(in: maxConcurrencyRange) }
            ?? QueueConsumerSettings.defaultMaxConcurrency
        guard context.errorCount == before, let function, let batchSize, let batchWindow, let maxConcurrency else { return nil }
        return QueueConsumerSettings(function: function, batchSize: batchSize, batchWindow: nanoseconds(batchWindow),
                                     maxConcurrency: maxConcurrency)
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
