import Testing
@testable import GatewayCore

@Suite struct MessageQueueTests {
    static let second = QueueSettings.second
    static let start: EpochNanoseconds = 1_800_000_000 * second

    static func body(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func messagesComeOutInOrderAndAreInvisibleWhileInFlight() {
        var queue = MessageQueue(settings: QueueSettings(visibilityTimeout: 30 * Self.second))
        for i in 1...5 { queue.send(id: "m\(i)", body: Self.body("\(i)"), now: Self.start + Int64(i)) }
        let first = queue.receive(max: 3, now: Self.start + 10)
        #expect(first.deliveries.map(\.message.id) == ["m1", "m2", "m3"])
        #expect(first.deliveries.allSatisfy { $0.message.receiveCount == 1 && $0.message.firstReceivedAt == Self.start + 10 })
        let result1 = queue.receive(max: 10, now: Self.start + 11)
        #expect(result1.deliveries.map(\.message.id) == ["m4", "m5"])
        let result2 = queue.receive(max: 10, now: Self.start + 12)
        #expect(result2.deliveries.isEmpty)  // all in flight
        let stats = queue.statistics(now: Self.start + 12)
        #expect(stats == QueueStatistics(visible: 0, inFlight: 5, delayed: 0, oldestAgeNanoseconds: 11))
    }

    @Test func aDeletedMessageIsGoneAndAnUndeletedOneReturnsAfterTheVisibilityTimeout() {
        var queue = MessageQueue(settings: QueueSettings(visibilityTimeout: 30 * Self.second))
        queue.send(id: "a", body: Self.body("a"), now: Self.start)
        queue.send(id: "b", body: Self.body("b"), now: Self.start)
        let batch = queue.receive(max: 2, now: Self.start).deliveries
        let result3 = queue.delete(batch[0].receipt)
        #expect(result3)
        let result4 = queue.receive(max: 10, now: Self.start + 30 * Self.second - 1)
        #expect(result4.deliveries.isEmpty)
        let again = queue.receive(max: 10, now: Self.start + 30 * Self.second).deliveries
        #expect(again.map(\.message.id) == ["b"] && again[0].message.receiveCount == 2)
        #expect(again[0].message.firstReceivedAt == Self.start)
        // The first receive's receipt is stale now: it deletes nothing.
        let result5 = queue.delete(batch[1].receipt)
        #expect(!result5)
        let result6 = queue.delete(again[0].receipt)
        #expect(result6 && queue.count == 0)
    }

    @Test func afterMaxReceiveCountAMessageIsDeadLetteredWithItsLastError() {
        var queue = MessageQueue(settings: QueueSettings(visibilityTimeout: Self.second, maxReceiveCount: 2))
        queue.send(id: "poison", body: Self.body("x"), now: Self.start)
        var now = Self.start
        for attempt in 1...2 {
            let delivery = queue.receive(max: 1, now: now).deliveries
            #expect(delivery.count == 1 && delivery[0].message.receiveCount == attempt)
            let result7 = queue.fail(delivery[0].receipt, error: "ValueError: bad order \(attempt)")
            #expect(result7)
            now += Self.second
        }
        let result = queue.receive(max: 10, now: now)
        #expect(result.deliveries.isEmpty)
        #expect(result.deadLettered.map(\.id) == ["poison"])
        #expect(result.deadLettered.first?.receiveCount == 2)
        #expect(result.deadLettered.first?.lastError == "ValueError: bad order 2")
        #expect(queue.count == 0)
    }

    @Test func delayedMessagesWaitAndCountAsDelayed() {
        var queue = MessageQueue(settings: QueueSettings(delay: 5 * Self.second))
        queue.send(id: "later", body: [], now: Self.start)
        queue.send(id: "now", body: [], now: Self.start, delay: 0)
        #expect(queue.statistics(now: Self.start) == QueueStatistics(visible: 1, inFlight: 0, delayed: 1))
        let result8 = queue.receive(max: 10, now: Self.start + 5 * Self.second - 1)
        #expect(result8.deliveries.map(\.message.id) == ["now"])
        let result9 = queue.receive(max: 10, now: Self.start + 5 * Self.second)
        #expect(result9.deliveries.map(\.message.id) == ["later"])
    }

    @Test func messagesPastRetentionExpireInsteadOfBeingDelivered() {
        var queue = MessageQueue(settings: QueueSettings(retention: 60 * Self.second))
        queue.send(id: "old", body: [], now: Self.start)
        queue.send(id: "young", body: [], now: Self.start + 30 * Self.second)
        let result = queue.receive(max: 10, now: Self.start + 60 * Self.second)
        #expect(result.expired.map(\.id) == ["old"])
        #expect(result.deliveries.map(\.message.id) == ["young"])
    }

    @Test func aFailureWithARetryTimeMakesTheMessageVisibleThen() {
        var queue = MessageQueue(settings: QueueSettings(visibilityTimeout: 300 * Self.second))
        queue.send(id: "event", body: [], now: Self.start)
        let delivery = queue.receive(max: 1, now: Self.start).deliveries[0]
        let result10 = queue.fail(delivery.receipt, error: "timeout", visibleAt: Self.start + 2 * Self.second)
        #expect(result10)
        let result11 = queue.receive(max: 1, now: Self.start + 2 * Self.second - 1)
        #expect(result11.deliveries.isEmpty)
        let retry = queue.receive(max: 1, now: Self.start + 2 * Self.second).deliveries
        #expect(retry.first?.message.receiveCount == 2 && retry.first?.message.lastError == "timeout")
        // Only once: the entry of the original visibility timeout is stale.
        let result12 = queue.receive(max: 1, now: Self.start + 400 * Self.second)
        #expect(result12.deliveries.map(\.message.receiveCount) == [3])
    }

    @Test func peekPurgeAndRemoveAllForTheAdminAPI() {
        var queue = MessageQueue(settings: QueueSettings())
        for i in 0..<4 { queue.send(id: "m\(i)", body: Self.body("\(i)"), now: Self.start + Int64(i)) }
        #expect(queue.peek(limit: 2).map(\.id) == ["m0", "m1"])
        let result13 = queue.receive(max: 10, now: Self.start + 10)
        #expect(result13.deliveries.count == 4)  // peek did not receive
        let result14 = queue.removeAll()
        #expect(result14.map(\.id) == ["m0", "m1", "m2", "m3"])
        queue.send(id: "x", body: [], now: Self.start)
        let result15 = queue.purge()
        #expect(result15 == 1 && queue.count == 0)
        let result16 = queue.receive(max: 10, now: Self.start + 100 * Self.second)
        #expect(result16.deliveries.isEmpty)
    }

    /// A redriven message starts over: its receive count is reset and it is visible at once.
    @Test func insertPutsAMessageBackAsGiven() {
        var queue = MessageQueue(settings: QueueSettings(maxReceiveCount: 1))
        let message = QueuedMessage(id: "r", body: Self.body("r"), sentAt: Self.start, visibleAt: Self.start + 5,
                                    lastError: "earlier")
        queue.insert(message)
        let delivery = queue.receive(max: 1, now: Self.start + 5).deliveries
        #expect(delivery.first?.message.id == "r" && delivery.first?.message.lastError == "earlier")
    }

    /// Many messages and receives: every message is delivered exactly once per visibility, in order of visibility.
    @Test func aLargeQueueDeliversEachVisibleMessageOnce() {
        var queue = MessageQueue(settings: QueueSettings(visibilityTimeout: Self.second))
        for i in 0..<10_000 { queue.send(id: "m\(i)", body: [], now: Self.start + Int64(i % 100)) }
        var seen = Set<String>()
        var now = Self.start + 100
        while true {
            let batch = queue.receive(max: 37, now: now).deliveries
            if batch.isEmpty { break }
            for delivery in batch {
                #expect(seen.insert(delivery.message.id).inserted)
                queue.delete(delivery.receipt)
            }
            now += 1
        }
        #expect(seen.count == 10_000 && queue.count == 0)
    }

    /// Throughput does not grow memory: stale visibility entries of deleted messages are dropped when they pile up.
    @Test func staleVisibilityEntriesDoNotAccumulate() {
        var queue = MessageQueue(settings: QueueSettings(visibilityTimeout: 3600 * Self.second))
        for n in 0..<20_000 {
            queue.send(id: "m\(n)", body: Self.body("x"), now: Self.start)
            let batch = queue.receive(max: 1, now: Self.start)
            for delivery in batch.deliveries { queue.delete(delivery.receipt) }
        }
        #expect(queue.count == 0)
        #expect(queue.heapCount <= 1024 + 2, "\(queue.heapCount) heap entries for an empty queue")
        queue.send(id: "last", body: Self.body("y"), now: Self.start)
        #expect(queue.receive(max: 10, now: Self.start).deliveries.map(\.message.id) == ["last"])
    }

    @Test func aReceiveStopsAtItsByteBudgetButAlwaysTakesOne() {
        var queue = MessageQueue(settings: QueueSettings())
        for n in 0..<5 { queue.send(id: "m\(n)", body: [UInt8](repeating: 0x61, count: 100), now: Self.start + Int64(n)) }
        #expect(queue.bodyBytes == 500)
        let first = queue.receive(max: 10, now: Self.start + 10, maxBytes: 250)
        #expect(first.deliveries.map(\.message.id) == ["m0", "m1"])
        let second = queue.receive(max: 10, now: Self.start + 10, maxBytes: 50)
        #expect(second.deliveries.map(\.message.id) == ["m2"], "one message even over the budget")
        #expect(queue.receive(max: 10, now: Self.start + 10).deliveries.map(\.message.id) == ["m3", "m4"])
    }

    @Test func expiredMessagesAreRemovedWithoutAReceive() {
        var queue = MessageQueue(settings: QueueSettings(retention: 60 * Self.second))
        queue.send(id: "old", body: Self.body("a"), now: Self.start)
        queue.send(id: "new", body: Self.body("b"), now: Self.start + 30 * Self.second)
        #expect(queue.removeExpired(now: Self.start + 60 * Self.second).map(\.id) == ["old"])
        #expect(queue.count == 1 && queue.bodyBytes == 1)
    }
}
