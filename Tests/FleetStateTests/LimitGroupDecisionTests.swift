@testable import FleetState
import GatewayCore
import Redis
import Testing

/// The limit script's reply for a group, read and turned into each request's outcome, refusing any other shape.
struct LimitGroupDecisionTests {
    static let unit = LimitGroupDecision.nanotokensPerToken
    let bucket = BucketHandle(id: LimitID("b"), throttle: Throttle(rateMilli: 1000, burst: 10), policy: .route, slot: 0)

    func reply(_ values: [Int64]) -> [RESPValue] { values.map { .integer($0) } }

    @Test func eachRequestSeesTheStateAfterItsOwnTurn() throws {
        // Two of the group admitted from 2.5 tokens; the rest throttled for the 0.5 s the next token takes.
        let values = reply([2, 1, 500_000, -1, 0, 0, 2 * Self.unit + Self.unit / 2])
        let (decision, next) = try #require(LimitGroupDecision.parse(values, at: 0, bucketCount: 1))
        #expect(next == values.count)
        let request = LimitRequest(routeBuckets: [bucket])
        let outcomes = (0..<4).map { decision.outcome(at: $0, of: request) }
        #expect(outcomes.map(\.verdict) == [.admitted, .admitted, .throttled, .throttled])
        #expect(outcomes.map(\.retryAfter) == [0, 0, 500_000_000, 500_000_000])
        #expect(outcomes.map { $0.buckets[0].remaining } == [1, 0, 0, 0])
        // One token a second is 1000 nanotokens a µs: 8.5 tokens missing after the first take, 9.5 after both.
        #expect(outcomes[0].buckets[0].resetNanoseconds == 8_500_000 * 1000)
        #expect(outcomes[3].buckets[0].resetNanoseconds == 9_500_000 * 1000)
    }

    @Test func quotaCountsEachAdmittedRequest() throws {
        let quota = QuotaHandle(id: LimitID("q"), quota: Quota(limit: 5, period: .day), slot: 0)
        let values = reply([2, 2, 3_600_000_000, 3, 3_600_000_000, 86_400_000_000, 9 * Self.unit])
        let (decision, _) = try #require(LimitGroupDecision.parse(values, at: 0, bucketCount: 1))
        let request = LimitRequest(routeBuckets: [bucket], quota: quota)
        let outcomes = (0..<3).map { decision.outcome(at: $0, of: request) }
        #expect(outcomes.map(\.verdict) == [.admitted, .admitted, .quotaExceeded])
        #expect(outcomes.map { $0.quota?.remaining } == [1, 0, 0])
        #expect(outcomes.map(\.quotaPeriod) == Array(repeating: 86_400_000_000_000, count: 3))
    }

    @Test func anyOtherShapeIsRefused() {
        let good: [Int64] = [1, 0, 0, -1, 0, 0, Self.unit]
        #expect(LimitGroupDecision.parse(reply(good), at: 0, bucketCount: 1) != nil)
        #expect(LimitGroupDecision.parse(reply(Array(good.dropLast())), at: 0, bucketCount: 1) == nil, "too short")
        #expect(LimitGroupDecision.parse(reply([1, 3, 0, -1, 0, 0, Self.unit]), at: 0, bucketCount: 1) == nil, "verdict")
        #expect(LimitGroupDecision.parse(reply([-1, 0, 0, -1, 0, 0, Self.unit]), at: 0, bucketCount: 1) == nil, "count")
        #expect(LimitGroupDecision.parse(reply([2, 0, 0, -1, 0, 0, Self.unit]), at: 0, bucketCount: 1) == nil,
                "more admitted than the bucket held")
        #expect(LimitGroupDecision.parse([.simpleString("1")] + reply(Array(good.dropFirst())), at: 0, bucketCount: 1) == nil)
    }
}
