import StoreTestSupport
import Testing
@testable import GatewayCore

@Suite struct MemoryRateWindowStoreTests {
    let window = Duration.seconds(60)
    let windowNanos: Int64 = 60_000_000_000

    func hit(_ store: MemoryRateWindowStore, _ key: String, limit: Int, countsRefused: Bool = false,
             rule: String = "r", maxKeys: Int = 1000) -> RateHit {
        RateHit(window: store.window(for: RateRuleID(rule: rule, key: "ip", windowNanoseconds: windowNanos),
                                     maxTrackedKeys: maxKeys),
                key: .text(key), label: nil, limit: limit, countsRefused: countsRefused, decides: !countsRefused)
    }

    @Test func passesTheStoreConformanceSuite() async throws {
        try await RateWindowStoreConformance.run("memory") { MemoryRateWindowStore() }
    }

    @Test func hitsAreRecordedInOrderUntilOneDecidesWithoutWaiting() {
        let store = MemoryRateWindowStore()
        let clock = ManualClock()
        let counting = hit(store, "a", limit: 0 + 1, countsRefused: true, rule: "count")
        let blocking = hit(store, "a", limit: 1, rule: "block")
        _ = store.recordNow([counting, blocking], now: clock.now())
        #expect(store.recordNow([counting, blocking], now: clock.now()).decidingHit == 1)
    }

    @Test func resetCountsForgetsEveryCountAndKeepsTheHandles() {
        let store = MemoryRateWindowStore()
        let clock = ManualClock()
        let h = hit(store, "a", limit: 1)
        #expect(store.recordNow([h], now: clock.now()).decidingHit == nil)
        #expect(store.recordNow([h], now: clock.now()).decidingHit == 0)
        store.resetCounts()
        #expect(store.keysNow(of: h.window, atOrAbove: 1, now: clock.now()).isEmpty)
        #expect(store.recordNow([h], now: clock.now()).decidingHit == nil)
    }

    @Test func aMillionDistinctKeysStayWithinTheTrackedBound() {
        let store = MemoryRateWindowStore()
        let clock = ManualClock()
        let handle = store.window(for: RateRuleID(rule: "flood", key: "ip", windowNanoseconds: windowNanos),
                                  maxTrackedKeys: 10_000)
        for n in 0..<1_000_000 {
            let address = IPAddress(ipv4: (UInt8(n >> 24 & 255), UInt8(n >> 16 & 255), UInt8(n >> 8 & 255), UInt8(n & 255)))
            _ = store.recordNow([RateHit(window: handle, key: .address(address), label: nil, limit: 10,
                                         countsRefused: false, decides: true)], now: clock.now())
        }
        let storage = handle.storage as! MemoryRateWindowStore.Window
        let tracked = storage.shards.reduce(0) { $0 + $1.table.withLock { $0.count } }
        #expect(tracked <= 10_000 + MemoryRateWindowStore.Window.shardCount)
        #expect(tracked >= 9_000)
    }

    @Test func aReloadWithTheSameRuleKeepsItsCounts() {
        let store = MemoryRateWindowStore()
        let id = RateRuleID(rule: "r", key: "ip", windowNanoseconds: windowNanos)
        func identity(_ id: RateRuleID) -> ObjectIdentifier {
            ObjectIdentifier(store.window(for: id, maxTrackedKeys: 10).storage)
        }
        let longer = RateRuleID(rule: "r", key: "ip", windowNanoseconds: windowNanos * 2)
        let (same, again, other) = (identity(id), identity(id), identity(longer))
        #expect(same == again)
        #expect(same != other)
    }
}
