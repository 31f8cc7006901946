import GatewayCore
import Testing

/// Idempotency keys: a repeat within the ttl finds the first message id; expired and evicted keys are gone.
struct IdempotencyTableTests {
    @Test func aKeyAnswersItsFirstMessageUntilItsTTLRunsOut() {
        var table = IdempotencyTable(ttl: 100)
        #expect(table.lookup("k", now: 0) == nil)
        table.store("k", messageId: "m1", expiresAt: 100)
        #expect(table.lookup("k", now: 99) == "m1")
        #expect(table.lookup("k", now: 100) == nil)
        #expect(table.count == 0)
    }

    @Test func pastItsCapacityTheOldestKeysGoFirst() {
        var table = IdempotencyTable(ttl: 1_000, capacity: 3)
        for n in 0..<5 { table.store("k\(n)", messageId: "m\(n)", expiresAt: 1_000) }
        #expect(table.count == 3)
        #expect(table.lookup("k0", now: 0) == nil && table.lookup("k1", now: 0) == nil)
        #expect(table.lookup("k4", now: 0) == "m4")
    }

    @Test func manyKeysExpireInOrderAndMemoryIsReclaimed() {
        var table = IdempotencyTable(ttl: 10, capacity: 100_000)
        for n in 0..<5_000 { table.store("k\(n)", messageId: "m", expiresAt: Int64(n) + 10) }
        #expect(table.lookup("k4999", now: 4_999) == "m")
        #expect(table.count == 10, "only the keys stored in the last ttl remain")
    }
}
