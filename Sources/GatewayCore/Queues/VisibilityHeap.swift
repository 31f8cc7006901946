/// A binary min-heap of (when, sequence) entries: the next message to become visible is always on top, found in
/// O(1) and taken in O(log n). Entries are never removed from the middle; the queue skips stale ones when they
/// surface (a message deleted or received again since).
struct VisibilityHeap {
    struct Entry: Comparable {
        var visibleAt: EpochNanoseconds
        /// Send order breaks ties, so messages visible at the same instant come out first in, first out.
        var sequence: UInt64
        var id: String
        /// The message's receive count when the entry was made: an older entry is stale.
        var generation: Int

        static func < (a: Entry, b: Entry) -> Bool {
            (a.visibleAt, a.sequence) < (b.visibleAt, b.sequence)
        }

        static func == (a: Entry, b: Entry) -> Bool {
            a.visibleAt == b.visibleAt && a.sequence == b.sequence && a.id == b.id && a.generation == b.generation
        }
    }

    private(set) var entries: [Entry] = []

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }
    var top: Entry? { entries.first }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child] < entries[parent] else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    mutating func pop() -> Entry? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let top = entries.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < entries.count, entries[left] < entries[smallest] { smallest = left }
            if right < entries.count, entries[right] < entries[smallest] { smallest = right }
            if smallest == parent { break }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }

    mutating func removeAll() {
        entries.removeAll()
    }
}
