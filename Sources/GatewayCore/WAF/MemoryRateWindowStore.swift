import Synchronization

/// Rate-rule counters for one gateway instance. Each rule's keys are spread over shards, each behind its own lock,
/// so the event loops rarely wait for each other, and a count is exact across loops (one limit, not one per loop).
/// Answers at once.
public final class MemoryRateWindowStore: RateWindowStore {
    private let windows = Mutex<[RateRuleID: Window]>([:])

    public init() {}

    /// One rule's counters: its keys by shard.
    final class Window: Sendable {
        static let shardCount = 16
        let slotNanoseconds: Int64
        let maxTrackedKeys: Int
        let shards: [Shard]

        final class Shard: Sendable {
            let table: Mutex<RateKeyTable>
            init(capacity: Int) { table = Mutex(RateKeyTable(capacity: capacity)) }
        }

        init(windowNanoseconds: Int64, maxTrackedKeys: Int) {
            slotNanoseconds = max(1, windowNanoseconds / SlidingWindow.slotsPerWindow)
            self.maxTrackedKeys = maxTrackedKeys
            let perShard = max(1, (maxTrackedKeys + Self.shardCount - 1) / Self.shardCount)
            shards = (0..<Self.shardCount).map { _ in Shard(capacity: perShard) }
        }

        /// The process's random hash seed picks the shard, so a client cannot aim all its keys at one lock.
        func shard(_ key: RateKey) -> Shard {
            shards[Int(UInt(bitPattern: key.hashValue) % UInt(Self.shardCount))]
        }
    }

    public func window(for id: RateRuleID, maxTrackedKeys: Int) -> RateWindowHandle {
        let window = windows.withLock { windows in
            if let existing = windows[id], existing.maxTrackedKeys == maxTrackedKeys { return existing }
            let created = Window(windowNanoseconds: id.windowNanoseconds, maxTrackedKeys: maxTrackedKeys)
            windows[id] = created
            return created
        }
        return RateWindowHandle(id: id, storage: window)
    }

    /// Forgets every count, keeping each rule's window (handles stay valid): a fleet instance's local share starts
    /// afresh after Redis is back, so an outage's counts do not carry into the next one.
    public func resetCounts() {
        let all = windows.withLock { Array($0.values) }
        for window in all {
            for shard in window.shards {
                shard.table.withLock { table in table = RateKeyTable(capacity: table.capacity) }
            }
        }
    }

    public func record(_ hits: [RateHit], now: EpochNanoseconds) -> StoreReply<RateRecord> {
        .ready(recordNow(hits, now: now))
    }

    /// The same, for callers that know this store answers at once.
    public func recordNow(_ hits: [RateHit], now: EpochNanoseconds) -> RateRecord {
        var record = RateRecord()
        for (i, hit) in hits.enumerated() {
            let window = unsafeDowncast(hit.window.storage, to: Window.self)
            let slot = now / window.slotNanoseconds
            let over = window.shard(hit.key).table.withLock { table in
                table.withWindow(hit.key, label: hit.label) { counts -> Bool in
                    counts.expire(before: slot - SlidingWindow.slotsPerWindow)
                    if hit.countsRefused {
                        counts.add(slot: slot)
                        return counts.total > hit.limit
                    }
                    guard counts.total < hit.limit else { return true }
                    counts.add(slot: slot)
                    return false
                }
            }
            if over {
                record.overLimit |= 1 << UInt64(i)
                if hit.decides {
                    record.decidingHit = i
                    break
                }
            }
        }
        return record
    }

    public func keys(of handle: RateWindowHandle, atOrAbove threshold: Int,
                     now: EpochNanoseconds) async -> [RateKeyStatus] {
        keysNow(of: handle, atOrAbove: threshold, now: now)
    }

    /// The same listing, for callers that know this store answers at once; newest release first.
    public func keysNow(of handle: RateWindowHandle, atOrAbove threshold: Int, now: EpochNanoseconds) -> [RateKeyStatus] {
        let window = unsafeDowncast(handle.storage, to: Window.self)
        let slot = now / window.slotNanoseconds
        var found: [RateKeyStatus] = []
        for shard in window.shards {
            shard.table.withLock { table in
                table.forEach { key, label, counts in
                    var counts = counts
                    counts.expire(before: slot - SlidingWindow.slotsPerWindow)
                    guard let releaseSlot = counts.firstSlotBelow(threshold) else { return }
                    found.append(RateKeyStatus(key: label ?? key.description, count: counts.total,
                                               releasedAt: releaseSlot * window.slotNanoseconds))
                }
            }
        }
        return found.sorted { ($0.releasedAt, $0.key) > ($1.releasedAt, $1.key) }
    }
}
