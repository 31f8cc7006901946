import NIOCore
import NIOHTTP1
import Testing
@testable import GatewayCore

@Suite struct MemoryCacheStoreTests {
    static let second: Int64 = 1_000_000_000
    let now: EpochNanoseconds = 1_800_000_000 * 1_000_000_000
    let tag = CacheTag(api: "orders", route: "GET /orders/{id}")

    func key(_ path: String) -> CacheKey {
        CacheKey.make(host: "h", api: "orders", route: "GET /orders/{id}", path: Substring(path), query: nil,
                      headers: [:], policy: RouteCachePolicy(ttlSeconds: 60), apiKeyName: nil)
    }

    func response(_ body: String, ttl: Int = 60, at time: EpochNanoseconds? = nil,
                  headers: [(name: String, value: String)] = []) -> CachedResponse {
        CachedResponse(status: 200, headers: headers, body: ByteBuffer(string: body), storedAt: time ?? now, ttlSeconds: ttl)
    }

    @Test func aStoredResponseIsFoundUntilItExpires() throws {
        let store = MemoryCacheStore(capacity: 1 << 20, maxEntrySize: 1024)
        #expect(store.lookup(key("/1"), requestHeaders: [:], now: now) == nil)
        #expect(store.store(key("/1"), vary: [], requestHeaders: [:], response: response("one", ttl: 10), tag: tag, now: now))
        let hit = try #require(store.lookup(key("/1"), requestHeaders: [:], now: now + 9 * Self.second))
        #expect(String(buffer: hit.body) == "one" && hit.age(at: now + 9 * Self.second) == 9)
        #expect(hit.remainingTTL(at: now + 9 * Self.second) == 1)
        #expect(store.lookup(key("/1"), requestHeaders: [:], now: now + 10 * Self.second) == nil)
        let stats = store.statistics
        #expect(stats.hits == 1 && stats.misses == 2 && stats.stores == 1 && stats.expirations == 1)
        #expect(stats.entries == 0 && stats.bytes == 0)
    }

    @Test func aHitServesTheStoredBytesWithoutACopy() throws {
        let store = MemoryCacheStore(capacity: 1 << 20, maxEntrySize: 1024)
        let stored = response("shared bytes")
        store.store(key("/1"), vary: [], requestHeaders: [:], response: stored, tag: tag, now: now)
        let hit = try #require(store.lookup(key("/1"), requestHeaders: [:], now: now))
        #expect(hit === stored)
        hit.body.withUnsafeReadableBytes { a in
            stored.body.withUnsafeReadableBytes { b in #expect(a.baseAddress == b.baseAddress) }
        }
    }

    @Test func bytesStayWithinCapacityEvictingTheLeastRecentlyUsed() throws {
        let one = response(String(repeating: "x", count: 100))
        let entry = one.size + key("/1").size
        let store = MemoryCacheStore(capacity: 3 * entry, maxEntrySize: 1024)
        for path in ["/1", "/2", "/3"] {
            store.store(key(path), vary: [], requestHeaders: [:], response: response(String(repeating: "x", count: 100)),
                        tag: tag, now: now)
        }
        #expect(store.statistics.bytes == 3 * entry)
        // Using /1 makes /2 the least recently used.
        #expect(store.lookup(key("/1"), requestHeaders: [:], now: now) != nil)
        store.store(key("/4"), vary: [], requestHeaders: [:], response: response(String(repeating: "x", count: 100)),
                    tag: tag, now: now)
        #expect(store.keysByRecency == [key("/4"), key("/1"), key("/3")])
        #expect(store.lookup(key("/2"), requestHeaders: [:], now: now) == nil)
        let stats = store.statistics
        #expect(stats.evictions == 1 && stats.bytes == 3 * entry && stats.bytes <= store.capacity)
    }

    @Test func anEntryOverTheLimitsIsNotStored() {
        let store = MemoryCacheStore(capacity: 1000, maxEntrySize: 10)
        #expect(!store.store(key("/1"), vary: [], requestHeaders: [:], response: response("eleven byte"), tag: tag, now: now))
        let roomy = MemoryCacheStore(capacity: 100, maxEntrySize: 10_000)
        #expect(!roomy.store(key("/1"), vary: [], requestHeaders: [:], response: response("small"), tag: tag, now: now))
        #expect(roomy.statistics.entries == 0)
    }

    @Test func variantsAreKeptPerVaryHeaderValue() throws {
        let store = MemoryCacheStore(capacity: 1 << 20, maxEntrySize: 1024)
        store.store(key("/1"), vary: ["accept-language"], requestHeaders: ["Accept-Language": "en"],
                    response: response("hello"), tag: tag, now: now)
        store.store(key("/1"), vary: ["accept-language"], requestHeaders: ["accept-language": "de"],
                    response: response("hallo"), tag: tag, now: now)
        #expect(try #require(store.lookup(key("/1"), requestHeaders: ["accept-language": "de"], now: now)).body == ByteBuffer(string: "hallo"))
        #expect(try #require(store.lookup(key("/1"), requestHeaders: ["ACCEPT-LANGUAGE": "en"], now: now)).body == ByteBuffer(string: "hello"))
        #expect(store.lookup(key("/1"), requestHeaders: ["accept-language": "fr"], now: now) == nil)
        #expect(store.lookup(key("/1"), requestHeaders: [:], now: now) == nil)
        // A response with another Vary list replaces the old variants.
        store.store(key("/1"), vary: [], requestHeaders: [:], response: response("plain"), tag: tag, now: now)
        #expect(store.statistics.entries == 1)
        #expect(try #require(store.lookup(key("/1"), requestHeaders: ["accept-language": "de"], now: now)).body == ByteBuffer(string: "plain"))
    }

    @Test func aResponseThatStartsVaryingReplacesThePlainEntry() throws {
        let store = MemoryCacheStore(capacity: 1 << 20, maxEntrySize: 1024)
        store.store(key("/1"), vary: [], requestHeaders: [:], response: response("plain"), tag: tag, now: now)
        store.store(key("/1"), vary: ["accept-language"], requestHeaders: ["accept-language": "de"],
                    response: response("hallo"), tag: tag, now: now)
        #expect(store.statistics.entries == 1)
        #expect(store.statistics.bytes == response("hallo").size
                + key("/1").variant(varying: ["accept-language"], headers: ["accept-language": "de"]).size)
        #expect(store.lookup(key("/1"), requestHeaders: ["accept-language": "en"], now: now) == nil)
        #expect(try #require(store.lookup(key("/1"), requestHeaders: ["accept-language": "de"], now: now)).body == ByteBuffer(string: "hallo"))
    }

    @Test func flushRemovesByAPIAndRoute() {
        let store = MemoryCacheStore(capacity: 1 << 20, maxEntrySize: 1024)
        store.store(key("/1"), vary: [], requestHeaders: [:], response: response("a"), tag: CacheTag(api: "a", route: "r1"), now: now)
        store.store(key("/2"), vary: [], requestHeaders: [:], response: response("b"), tag: CacheTag(api: "a", route: "r2"), now: now)
        store.store(key("/3"), vary: [], requestHeaders: [:], response: response("c"), tag: CacheTag(api: "b", route: "r1"), now: now)
        #expect(store.flush(api: "a", route: "r1") == 1)
        #expect(store.flush(api: "a", route: nil) == 1)
        #expect(store.statistics.entries == 1)
        #expect(store.flush(api: nil, route: nil) == 1)
        #expect(store.statistics.entries == 0 && store.statistics.bytes == 0)
    }

    @Test func expiredEntriesAreReclaimedWithoutBeingTouched() {
        let store = MemoryCacheStore(capacity: 1 << 20, maxEntrySize: 1024)
        store.store(key("/1"), vary: [], requestHeaders: [:], response: response("a", ttl: 5), tag: tag, now: now)
        store.store(key("/2"), vary: [], requestHeaders: [:], response: response("b", ttl: 50), tag: tag, now: now)
        #expect(store.reclaimExpired(now: now + 10 * Self.second) == 1)
        #expect(store.statistics.entries == 1 && store.keysByRecency == [key("/2")])
    }

    @Test func replacingAnEntryKeepsTheAccountingExact() {
        let store = MemoryCacheStore(capacity: 1 << 20, maxEntrySize: 1024)
        for body in ["first", "second, longer", "3"] {
            store.store(key("/1"), vary: [], requestHeaders: [:], response: response(body), tag: tag, now: now)
        }
        #expect(store.statistics.entries == 1)
        #expect(store.statistics.bytes == response("3").size + key("/1").size)
    }
}
