import StoreTestSupport
import Testing
@testable import GatewayCore

@Suite struct MemoryLimitStoreTests {
    @Test func passesTheStoreConformanceSuite() async throws {
        try await LimitStoreConformance.run("memory") { MemoryLimitStore() }
    }

    @Test func changedCountersAreDrainedOnceAndRestoreIntoANewStore() throws {
        let now = LimitStoreConformance.now
        let store = MemoryLimitStore()
        let throttle = Throttle(rateMilli: 1000, burst: 5)
        let bucket = store.bucket(LimitID("b"), throttle: throttle, policy: .plan)
        let quota = store.quota(LimitID("q"), quota: Quota(limit: 100, period: .month))
        let request = LimitRequest(routeBuckets: [], planBucket: bucket, quota: quota)
        #expect(store.drainChanges().isEmpty)  // nothing counted yet
        for _ in 0..<3 { #expect(store.acquireNow(request, now: now).verdict == .admitted) }
        let changes = store.drainChanges()
        let start = quota.quota.window(containing: now).start
        #expect(changes == [.bucket(id: "b", units: 2 * TokenBucket.unitsPerToken, updatedAt: now),
                            .quota(id: "q", periodStart: start, used: 3)])
        #expect(store.drainChanges().isEmpty)

        // A restart: the new store is seeded before the config's handles exist, and they claim the records.
        let restarted = MemoryLimitStore()
        restarted.restore(changes)
        let bucket2 = restarted.bucket(LimitID("b"), throttle: throttle, policy: .plan)
        let quota2 = restarted.quota(LimitID("q"), quota: Quota(limit: 100, period: .month))
        let outcome = restarted.acquireNow(LimitRequest(routeBuckets: [], planBucket: bucket2, quota: quota2), now: now)
        #expect(outcome.buckets[0].remaining == 1 && outcome.quota?.remaining == 96)
    }

    @Test func restoreAfterHandlesExistFillsUnusedCountersAndKeepsLiveOnes() {
        let now = LimitStoreConformance.now
        let store = MemoryLimitStore()
        let throttle = Throttle(rateMilli: 1000, burst: 5)
        let unused = store.bucket(LimitID("unused"), throttle: throttle, policy: .route)
        let live = store.bucket(LimitID("live"), throttle: throttle, policy: .route)
        _ = store.acquireNow(LimitRequest(routeBuckets: [live]), now: now)
        store.restore([.bucket(id: "unused", units: 0, updatedAt: now), .bucket(id: "live", units: 0, updatedAt: now)])
        let outcome = store.acquireNow(LimitRequest(routeBuckets: [unused, live]), now: now)
        #expect(outcome.verdict == .throttled && outcome.buckets.map(\.remaining) == [0, 4])
    }

    @Test func markChangedQueuesCountersAgain() {
        let store = MemoryLimitStore()
        let quota = store.quota(LimitID("q"), quota: Quota(limit: 10, period: .day))
        _ = store.acquireNow(LimitRequest(routeBuckets: [], quota: quota), now: LimitStoreConformance.now)
        let changes = store.drainChanges()
        store.markChanged(changes)
        #expect(store.drainChanges() == changes)
    }
}
