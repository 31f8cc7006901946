/// One key's requests over a sliding window, counted per slot of 1/128 of the window.
///
/// A slot stays counted until it lies wholly outside the window, so a count never misses a request that is still
/// in the window: a key is released at most 1/128 of the window (0.8 %) late, never early, and no window of the
/// configured length ever admits more than the limit (fixed windows admit twice the limit across a boundary).
/// The newest slot is held inline, so a key seen in one slot only (most keys of a flood) allocates nothing.
struct SlidingWindow {
    struct Slot {
        var number: Int64
        var count: Int
    }

    static let slotsPerWindow: Int64 = 128

    private(set) var total: Int = 0
    private var newest = Slot(number: .min, count: 0)
    /// Older non-empty slots, oldest first.
    private var older: [Slot] = []

    /// Drops every slot before `firstLive` (the oldest slot number still overlapping the window).
    mutating func expire(before firstLive: Int64) {
        if !older.isEmpty, older[0].number < firstLive {
            var dropped = 0
            while dropped < older.count, older[dropped].number < firstLive {
                total -= older[dropped].count
                dropped += 1
            }
            older.removeFirst(dropped)
        }
        if newest.count > 0, newest.number < firstLive {
            total -= newest.count
            newest = Slot(number: .min, count: 0)
        }
    }

    /// Counts one request in slot `number` (never older than the newest slot counted: callers pass `now`'s slot).
    mutating func add(slot number: Int64) {
        total += 1
        if newest.number == number {
            newest.count += 1
            return
        }
        if newest.count > 0 { older.append(newest) }
        newest = Slot(number: number, count: 1)
    }

    /// The slot number from which the count is below `threshold` again (with nothing more added): the slot after
    /// which enough of the oldest slots have left the window. Nil when it is below already.
    func firstSlotBelow(_ threshold: Int) -> Int64? {
        guard total >= threshold else { return nil }
        var remaining = total
        for slot in older + (newest.count > 0 ? [newest] : []) {
            remaining -= slot.count
            // Once this slot is out (first live slot > its number, i.e. current slot > number + 128), it is below.
            if remaining < threshold { return slot.number + Self.slotsPerWindow + 1 }
        }
        return nil
    }

    var isEmpty: Bool { total == 0 }
}
