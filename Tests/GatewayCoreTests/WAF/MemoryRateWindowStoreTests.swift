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

    @Test func aBlockRuleAdmitsExactlyTheLimitAndReleasesAsTheWindowSlides() {
        let store = MemoryRateWindowStore()
        let clock = ManualClock()
        let h = hit(store, "a", limit: 5)
        var admitted = 0
        // Ten times the limit, spread over the first tenth of the window.
        for _ in 0..<50 {
            if store.recordNow([h], now: clock.now()).decidingHit == nil { admitted += 1 }
            clock.advance(by: .milliseconds(120))
        }
        #expect(admitted == 5)
        // Still blocked just before the first admitted request leaves the window...
        clock.advance(by: window - .milliseconds(6000) - .milliseconds(600))
        #expect(store.recordNow([h], now: clock.now()).decidingHit == 0)
        // ...and released at most one slot (window/128) after it has.
        clock.advance(by: .milliseconds(600) + window / 128 * 2)
        #expect(store.recordNow([h], now: clock.now()).decidingHit == nil)
    }

    @Test func noWindowEverAdmitsMoreThanTheLimit() {
        let store = MemoryRateWindowStore()
        let clock = ManualClock()
        let h = hit(store, "a", limit: 100)
        var admittedAt: [EpochNanoseconds] = []
        var generator = SplitMix(seed: 11)
        for _ in 0..<20_000 {
            clock.advance(by: .milliseconds(Int64(generator.next() % 40)))
            if store.recordNow([h], now: clock.now()).decidingHit == nil { admittedAt.append(clock.now()) }
        }
        // Slide a window of exactly 60 s over every admitted request: never more than the limit inside it.
        var start = 0
        for end in admittedAt.indices {
            while admittedAt[end] - admittedAt[start] >= windowNanos { start += 1 }
            #expect(end - start + 1 <= 100)
        }
        // And under steady overload the limit is used, not wasted: ~100 per 60 s over ~400 s of traffic.
        let seconds = Double(admittedAt.last! - admittedAt.first!) / 1e9
        #expect(Double(admittedAt.count) >= seconds / 60 * 100 * 0.97)
    }

    @Test func countRulesCountEveryRequestAndReportOverTheLimit() {
        let store = MemoryRateWindowStore()
        let clock = ManualClock()
        let h = hit(store, "a", limit: 3, countsRefused: true)
        let over = (0..<6).map { _ in store.recordNow([h], now: clock.now()).isOverLimit(0) }
        #expect(over == [false, false, false, true, true, true])
    }

    @Test func hitsAreRecordedInOrderUntilOneDecides() {
        let store = MemoryRateWindowStore()
        let clock = ManualClock()
        let counting = hit(store, "a", limit: 0 + 1, countsRefused: true, rule: "count")
        let blocking = hit(store, "a", limit: 1, rule: "block")
        let later = hit(store, "a", limit: 1000, countsRefused: true, rule: "later")
        _ = store.recordNow([counting, blocking, later], now: clock.now())
        let record = store.recordNow([counting, blocking, later], now: clock.now())
        #expect(record.isOverLimit(0) && record.isOverLimit(1) && !record.isOverLimit(2))
        #expect(record.decidingHit == 1)
        // The third rule never saw the second request.
        let statuses = store.keysNow(of: later.window, atOrAbove: 1, now: clock.now())
        #expect(statuses.map(\.count) == [1])
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

    @Test func keysOverTheLimitAreListedWithTheirRelease() async {
        let store = MemoryRateWindowStore()
        let clock = ManualClock()
        let a = hit(store, "a", limit: 2)
        let b = hit(store, "b", limit: 2)
        for _ in 0..<3 { _ = store.recordNow([a], now: clock.now()) }
        _ = store.recordNow([b], now: clock.now())
        let statuses = await store.keys(of: a.window, atOrAbove: 2, now: clock.now())
        #expect(statuses.map(\.key) == ["a"])
        #expect(statuses.first?.count == 2)
        let release = try! #require(statuses.first?.releasedAt)
        #expect(release > clock.now() + windowNanos && release <= clock.now() + windowNanos + 2 * windowNanos / 128)
    }
}
