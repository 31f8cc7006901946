import GatewayCore
import Redis
import Synchronization

/// The Redis key of each limit handle, by the slot the handle carries: a slot per id, made once (a reload's
/// handle for the same id gets the same slot), so a decision reads its keys without building strings.
final class RedisKeyTable: Sendable {
    private let table = Mutex<(slots: [LimitID: Int], keys: [RESPArgument])>(([:], []))
    private let prefix: String

    /// `prefix` + the id's text names each key.
    init(prefix: String) {
        self.prefix = prefix
    }

    func slot(for id: LimitID) -> Int {
        table.withLock { table in
            if let slot = table.slots[id] { return slot }
            table.keys.append(.string(prefix + id.text))
            table.slots[id] = table.keys.count - 1
            return table.keys.count - 1
        }
    }

    /// The slot of an id a handle was made for, nil if none was.
    func existingSlot(for id: LimitID) -> Int? {
        table.withLock { $0.slots[id] }
    }

    subscript(slot: Int) -> RESPArgument {
        table.withLock { $0.keys[slot] }
    }

    /// Runs `body` with the key table locked once (a decision's several keys).
    func withKeys<R>(_ body: ([RESPArgument]) -> R) -> R {
        table.withLock { body($0.keys) }
    }
}
