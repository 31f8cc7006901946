/// The keys one rate rule tracks, at most `capacity` of them: when a new key arrives at a full table, the key seen
/// longest ago is forgotten. A flood from a million random addresses therefore holds `capacity` entries, and a key
/// that keeps sending (the one being limited) is never the stalest. Not thread-safe: the store locks around it.
struct RateKeyTable {
    struct Entry {
        var key: RateKey
        var window: SlidingWindow
        /// What the admin API shows for digested keys; nil when the key shows itself.
        var label: String?
        /// Neighbours in recency order (`newer` towards `mostRecent`), -1 at either end.
        var newer: Int32
        var older: Int32
    }

    let capacity: Int
    private var index: [RateKey: Int32] = [:]
    private(set) var entries: [Entry] = []
    private var mostRecent: Int32 = -1
    private var leastRecent: Int32 = -1

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    var count: Int { entries.count }

    /// Runs `body` on `key`'s window, creating it (and evicting the stalest key if full) when it is new.
    mutating func withWindow<R>(_ key: RateKey, label: @autoclosure () -> String?,
                                _ body: (inout SlidingWindow) -> R) -> R {
        let slot: Int32
        if let found = index[key] {
            slot = found
            touch(slot)
        } else if entries.count < capacity {
            slot = Int32(entries.count)
            entries.append(Entry(key: key, window: SlidingWindow(), label: label(), newer: -1, older: -1))
            index[key] = slot
            linkAsMostRecent(slot)
        } else {
            slot = leastRecent
            unlink(slot)
            index[entries[Int(slot)].key] = nil
            entries[Int(slot)] = Entry(key: key, window: SlidingWindow(), label: label(), newer: -1, older: -1)
            index[key] = slot
            linkAsMostRecent(slot)
        }
        return body(&entries[Int(slot)].window)
    }

    /// Every tracked key with its window, in no particular order (for the admin API).
    func forEach(_ body: (RateKey, String?, SlidingWindow) -> Void) {
        for entry in entries { body(entry.key, entry.label, entry.window) }
    }

    private mutating func touch(_ slot: Int32) {
        guard slot != mostRecent else { return }
        unlink(slot)
        linkAsMostRecent(slot)
    }

    private mutating func unlink(_ slot: Int32) {
        let newer = entries[Int(slot)].newer
        let older = entries[Int(slot)].older
        if newer >= 0 { entries[Int(newer)].older = older } else { mostRecent = older }
        if older >= 0 { entries[Int(older)].newer = newer } else { leastRecent = newer }
    }

    private mutating func linkAsMostRecent(_ slot: Int32) {
        entries[Int(slot)].newer = -1
        entries[Int(slot)].older = mostRecent
        if mostRecent >= 0 { entries[Int(mostRecent)].newer = slot }
        mostRecent = slot
        if leastRecent < 0 { leastRecent = slot }
    }
}
