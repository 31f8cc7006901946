import NIOHTTP1
import Synchronization

/// Cached responses of one instance, within `capacity` bytes (keys, headers, bodies and bookkeeping counted),
/// least recently used evicted first, behind one lock. The LRU list is kept in an array of slots linked by index,
/// so a hit moves an entry to the front without allocating.
public final class MemoryCacheStore: ResponseCacheStore {
    public let capacity: Int
    public let maxEntrySize: Int
    /// Concurrent misses for one key, across event loops: one fetches, the others wait for it.
    public let coalescer = FillCoalescer()

    private struct Slot {
        var key: CacheKey
        var primary: CacheKey
        var response: CachedResponse?
        var tag: CacheTag
        var size: Int
        var newer = -1
        var older = -1
    }

    private struct State {
        var slots: [Slot] = []
        var free: [Int] = []
        var index: [CacheKey: Int] = [:]
        /// Per primary key whose response varies: the `Vary` names of its entries and how many entries it has.
        /// Keys without `Vary` have no row, so a store without any costs a hit no second lookup.
        var varies: [CacheKey: (names: [String], entries: Int)] = [:]
        var newest = -1
        var oldest = -1
        var statistics = CacheStatistics()

        mutating func unlink(_ slot: Int) {
            let (newer, older) = (slots[slot].newer, slots[slot].older)
            if newer >= 0 { slots[newer].older = older } else { newest = older }
            if older >= 0 { slots[older].newer = newer } else { oldest = newer }
            slots[slot].newer = -1
            slots[slot].older = -1
        }

        mutating func pushNewest(_ slot: Int) {
            slots[slot].older = newest
            slots[slot].newer = -1
            if newest >= 0 { slots[newest].newer = slot }
            newest = slot
            if oldest < 0 { oldest = slot }
        }

        mutating func remove(_ slot: Int) {
            unlink(slot)
            let primary = slots[slot].primary
            index[slots[slot].key] = nil
            if let vary = varies[primary] {
                if vary.entries <= 1 { varies[primary] = nil } else { varies[primary] = (vary.names, vary.entries - 1) }
            }
            statistics.bytes -= slots[slot].size
            statistics.entries -= 1
            slots[slot].response = nil  // the body's bytes are released now
            free.append(slot)
        }
    }

    private let state = Mutex(State())

    public init(capacity: Int, maxEntrySize: Int) {
        self.capacity = capacity
        self.maxEntrySize = maxEntrySize
    }

    public func lookup(_ key: CacheKey, requestHeaders: HTTPHeaders,
                       now: EpochNanoseconds) -> CachedResponse? {
        state.withLock { state in
            // Most stores hold no Vary response at all: then no second table lookup.
            let names = state.varies.isEmpty ? [] : state.varies[key]?.names ?? []
            let full = names.isEmpty ? key : key.variant(varying: names, headers: requestHeaders)
            guard let slot = state.index[full], let response = state.slots[slot].response else {
                state.statistics.misses += 1
                return nil
            }
            guard response.isFresh(at: now) else {
                state.remove(slot)
                state.statistics.expirations += 1
                state.statistics.misses += 1
                return nil
            }
            state.unlink(slot)
            state.pushNewest(slot)
            state.statistics.hits += 1
            return response
        }
    }

    @discardableResult
    public func store(_ key: CacheKey, vary: [String], requestHeaders: HTTPHeaders,
                      response: CachedResponse, tag: CacheTag, now: EpochNanoseconds) -> Bool {
        let full = key.variant(varying: vary, headers: requestHeaders)
        let size = response.size + full.size
        guard response.body.readableBytes <= maxEntrySize, size <= capacity else { return false }
        return state.withLock { state in
            if let existing = state.index[full] { state.remove(existing) }
            // A new Vary list for this key makes its old entries unreachable: they go now rather than by age.
            let current = state.varies[key]?.names ?? []
            if current != vary {
                if current.isEmpty {
                    if let plain = state.index[key] { state.remove(plain) }
                } else {
                    for slot in state.slots.indices
                    where state.slots[slot].response != nil && state.slots[slot].primary == key {
                        state.remove(slot)
                    }
                }
            }
            while state.statistics.bytes + size > capacity, state.oldest >= 0 {
                state.remove(state.oldest)
                state.statistics.evictions += 1
            }
            let entry = Slot(key: full, primary: key, response: response, tag: tag, size: size)
            let slot: Int
            if let reused = state.free.popLast() {
                slot = reused
                state.slots[slot] = entry
            } else {
                slot = state.slots.count
                state.slots.append(entry)
            }
            state.index[full] = slot
            if !vary.isEmpty { state.varies[key] = (vary, (state.varies[key]?.entries ?? 0) + 1) }
            state.pushNewest(slot)
            state.statistics.bytes += size
            state.statistics.entries += 1
            state.statistics.stores += 1
            return true
        }
    }

    @discardableResult
    public func flush(api: String?, route: String?) -> Int {
        state.withLock { state in
            var removed = 0
            for slot in state.slots.indices where state.slots[slot].response != nil {
                let tag = state.slots[slot].tag
                guard api.map({ $0 == tag.api }) ?? true, route.map({ $0 == tag.route }) ?? true else { continue }
                state.remove(slot)
                removed += 1
            }
            return removed
        }
    }

    /// Drops every entry no longer fresh (a hit drops one it meets too); the server calls this periodically.
    @discardableResult
    public func reclaimExpired(now: EpochNanoseconds) -> Int {
        state.withLock { state in
            var removed = 0
            for slot in state.slots.indices {
                guard let response = state.slots[slot].response, !response.isFresh(at: now) else { continue }
                state.remove(slot)
                state.statistics.expirations += 1
                removed += 1
            }
            return removed
        }
    }

    public var statistics: CacheStatistics { state.withLock { $0.statistics } }

    /// Keys from most to least recently used (tests).
    var keysByRecency: [CacheKey] {
        state.withLock { state in
            var keys: [CacheKey] = []
            var slot = state.newest
            while slot >= 0 {
                keys.append(state.slots[slot].key)
                slot = state.slots[slot].older
            }
            return keys
        }
    }
}
