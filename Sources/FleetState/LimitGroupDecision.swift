import GatewayCore
import Redis

/// What the limit script decided for one group of a batch (requests asking the same of the same limits): the
/// first `admitted` pass, one after the other, and the rest meet `refusal`. Each request's outcome, the state
/// after its own turn, is worked out here from the levels before the group, so Redis does the group's work once.
struct LimitGroupDecision: Equatable {
    var admitted: Int64
    var refusal: LimitOutcome.Verdict
    var retryMicroseconds: Int64
    /// The quota's count before the group, -1 without a quota.
    var quotaUsedBefore: Int64
    var quotaResetMicroseconds: Int64
    var quotaPeriodMicroseconds: Int64
    /// Each bucket's nanotokens before the group, in `LimitRequest.forEachBucket` order.
    var bucketLevels: [Int64]

    static let nanotokensPerToken: Int64 = 1_000_000_000

    /// The group's part of the script's flat reply from `position`, with where the next group's part starts; nil
    /// when it is not the shape the script returns for `bucketCount` buckets.
    static func parse(_ values: [RESPValue], at position: Int, bucketCount: Int) -> (LimitGroupDecision, Int)? {
        let end = position + 6 + bucketCount
        guard end <= values.count else { return nil }
        func value(_ offset: Int) -> Int64? { values[position + offset].integer }
        guard let admitted = value(0), admitted >= 0, let refusalCode = value(1), let retry = value(2), retry >= 0,
              let quotaUsed = value(3), let quotaReset = value(4), let quotaPeriod = value(5) else { return nil }
        let refusal: LimitOutcome.Verdict
        switch refusalCode {
        case 0: refusal = .admitted  // nobody was refused
        case 1: refusal = .throttled
        case 2: refusal = .quotaExceeded
        default: return nil
        }
        var levels: [Int64] = []
        levels.reserveCapacity(bucketCount)
        for i in 0..<bucketCount {
            guard let level = value(6 + i), level >= admitted * nanotokensPerToken else { return nil }
            levels.append(level)
        }
        return (LimitGroupDecision(admitted: admitted, refusal: refusal, retryMicroseconds: retry,
                                   quotaUsedBefore: quotaUsed, quotaResetMicroseconds: quotaReset,
                                   quotaPeriodMicroseconds: quotaPeriod, bucketLevels: levels), end)
    }

    /// The outcome of the group's request at `position` (0 first): admitted while the group's admissions last,
    /// with every limit's state after its own take.
    func outcome(at position: Int, of request: LimitRequest) -> LimitOutcome {
        let isAdmitted = Int64(position) < admitted
        let taken = isAdmitted ? Int64(position) + 1 : admitted
        var states = LimitStates()
        var index = 0
        request.forEachBucket { handle in
            let level = bucketLevels[index] - taken * Self.nanotokensPerToken
            let capacity = handle.throttle.burst * Self.nanotokensPerToken
            let untilFull = Self.ceilingDivision(max(0, capacity - level), handle.throttle.rateMilli)
            states.append(LimitState(remaining: level / Self.nanotokensPerToken, resetNanoseconds: untilFull * 1000))
            index += 1
        }
        let quota = request.quota.map { handle in
            LimitState(remaining: max(0, handle.quota.limit - (quotaUsedBefore + taken)),
                       resetNanoseconds: quotaResetMicroseconds * 1000)
        }
        var outcome = LimitOutcome(verdict: isAdmitted ? .admitted : refusal,
                                   retryAfter: isAdmitted ? 0 : retryMicroseconds * 1000, buckets: states, quota: quota)
        outcome.quotaPeriod = request.quota == nil ? 0 : quotaPeriodMicroseconds * 1000
        return outcome
    }

    private static func ceilingDivision(_ a: Int64, _ b: Int64) -> Int64 {
        b <= 0 ? 0 : (a + b - 1) / b
    }
}

extension LimitRequest {
    /// Whether `other` asks the same of the same limits (same counters, same throttles and quota), so a batch can
    /// have them decided as one group.
    func asksTheSame(as other: LimitRequest) -> Bool {
        guard routeBuckets.count == other.routeBuckets.count else { return false }
        for (bucket, otherBucket) in zip(routeBuckets, other.routeBuckets) where !bucket.isSameLimit(as: otherBucket) {
            return false
        }
        return Self.same(planBucket, other.planBucket) && Self.same(planRouteBucket, other.planRouteBucket)
            && quota?.slot == other.quota?.slot && quota?.quota == other.quota?.quota
    }

    private static func same(_ a: BucketHandle?, _ b: BucketHandle?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case (let a?, let b?): a.isSameLimit(as: b)
        default: false
        }
    }
}

extension BucketHandle {
    fileprivate func isSameLimit(as other: BucketHandle) -> Bool {
        self === other || (slot == other.slot && throttle == other.throttle)
    }
}
