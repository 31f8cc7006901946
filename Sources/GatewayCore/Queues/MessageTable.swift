/// A queue's messages by id, spread over 64 dictionaries. One dictionary of 400,000 messages rehashes all of them
/// at once when it grows (measured: a 190 ms stall in a debug build, about 100 ms of p99 in the enqueue benchmark,
/// every send waiting behind the queue's lock); each of 64 grows by 1/64 of that, at a different send.
struct MessageTable {
    private static let shardCount = 64
    private var shards = [[String: QueuedMessage]](repeating: [:], count: MessageTable.shardCount)
    private(set) var count = 0

    private static func shard(_ id: String) -> Int { id.hashValue & (shardCount - 1) }

    subscript(id: String) -> QueuedMessage? {
        get { shards[Self.shard(id)][id] }
        set {
            if let newValue { updateValue(newValue, forKey: id) } else { removeValue(forKey: id) }
        }
    }

    /// The message that was stored under `id`, if any.
    @discardableResult
    mutating func updateValue(_ message: QueuedMessage, forKey id: String) -> QueuedMessage? {
        let old = shards[Self.shard(id)].updateValue(message, forKey: id)
        if old == nil { count += 1 }
        return old
    }

    @discardableResult
    mutating func removeValue(forKey id: String) -> QueuedMessage? {
        let old = shards[Self.shard(id)].removeValue(forKey: id)
        if old != nil { count -= 1 }
        return old
    }

    mutating func removeAll() {
        shards = [[String: QueuedMessage]](repeating: [:], count: Self.shardCount)
        count = 0
    }

    /// Every message, in no particular order.
    var values: some Sequence<QueuedMessage> { shards.lazy.flatMap(\.values) }
}
