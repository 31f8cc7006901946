import Testing
@testable import GatewayCore

@Suite struct SlidingWindowTests {
    @Test func countsWithinTheWindowAndExpiresWholeSlots() {
        var window = SlidingWindow()
        for slot in [10, 10, 11, 40, 40, 40] as [Int64] { window.add(slot: slot) }
        #expect(window.total == 6)
        window.expire(before: 10)
        #expect(window.total == 6)
        window.expire(before: 11)
        #expect(window.total == 4)
        window.expire(before: 40)
        #expect(window.total == 3)
        window.expire(before: 41)
        #expect(window.total == 0 && window.isEmpty)
        window.add(slot: 200)
        #expect(window.total == 1)
    }

    @Test func firstSlotBelowSaysWhenEnoughOldSlotsHaveLeft() {
        var window = SlidingWindow()
        for slot in [0, 0, 5, 9] as [Int64] { window.add(slot: slot) }
        // Below 4 once slot 0 has left (first live slot 1 = current slot 129); below 2 once slot 5 has too.
        #expect(window.firstSlotBelow(4) == 0 + SlidingWindow.slotsPerWindow + 1)
        #expect(window.firstSlotBelow(2) == 5 + SlidingWindow.slotsPerWindow + 1)
        #expect(window.firstSlotBelow(1) == 9 + SlidingWindow.slotsPerWindow + 1)
        #expect(window.firstSlotBelow(5) == nil)
    }
}

@Suite struct RateKeyTableTests {
    func key(_ n: Int) -> RateKey { .text("k\(n)") }

    @Test func aFullTableForgetsTheKeySeenLongestAgo() {
        var table = RateKeyTable(capacity: 3)
        for n in 0..<3 { table.withWindow(key(n), label: nil) { $0.add(slot: 1) } }
        // Touch k0 so k1 is now the stalest.
        table.withWindow(key(0), label: nil) { $0.add(slot: 1) }
        table.withWindow(key(3), label: nil) { $0.add(slot: 1) }
        var seen: [RateKey: Int] = [:]
        table.forEach { key, _, window in seen[key] = window.total }
        #expect(seen == [key(0): 2, key(2): 1, key(3): 1])
        // A returning forgotten key starts from zero.
        let total = table.withWindow(key(1), label: nil) { window -> Int in
            window.add(slot: 1)
            return window.total
        }
        #expect(total == 1)
        #expect(table.count == 3)
    }

    @Test func recencyOrderSurvivesManyTouches() {
        var table = RateKeyTable(capacity: 100)
        var generator = SplitMix(seed: 3)
        var lastUse: [Int: Int] = [:]
        for step in 0..<20_000 {
            let n = Int(generator.next() % 150)
            table.withWindow(key(n), label: nil) { $0.add(slot: 1) }
            lastUse[n] = step
        }
        // The table holds exactly the 100 most recently used keys.
        let expected = Set(lastUse.sorted { $0.value > $1.value }.prefix(100).map { key($0.key) })
        var held = Set<RateKey>()
        table.forEach { key, _, _ in held.insert(key) }
        #expect(held == expected)
    }
}
