import Testing
@testable import GatewayCore

@Suite struct TokenBucketTests {
    let second: Int64 = 1_000_000_000
    let start: EpochNanoseconds = 1_800_000_000 * 1_000_000_000

    @Test func aNewBucketHoldsItsBurstAndRefusesTheNextRequest() {
        let throttle = Throttle(rateMilli: 10_000, burst: 3)  // 10/s
        var bucket = TokenBucket(full: throttle, at: start)
        for _ in 0..<3 {
            bucket.refill(throttle, now: start)
            #expect(bucket.hasToken)
            bucket.take()
        }
        bucket.refill(throttle, now: start)
        #expect(!bucket.hasToken && bucket.tokens == 0)
        #expect(bucket.nanosecondsUntilToken(throttle) == second / 10)
    }

    @Test func refillIsContinuousNotPerSecond() {
        let throttle = Throttle(rateMilli: 1000, burst: 1)  // 1/s
        var bucket = TokenBucket(full: throttle, at: start)
        bucket.take()
        bucket.refill(throttle, now: start + second / 2)
        #expect(!bucket.hasToken && bucket.units == TokenBucket.unitsPerToken / 2)
        bucket.refill(throttle, now: start + second - 1)
        #expect(!bucket.hasToken)
        bucket.refill(throttle, now: start + second)
        #expect(bucket.hasToken)
    }

    @Test func fractionalRatesRefillExactly() {
        let throttle = Throttle(rateMilli: 333, burst: 1)  // 0.333/s: one token every 3.003003... s
        var bucket = TokenBucket(full: throttle, at: start)
        bucket.take()
        let wait = bucket.nanosecondsUntilToken(throttle)
        #expect(wait == (TokenBucket.unitsPerToken + 332) / 333)
        bucket.refill(throttle, now: start + wait - 1)
        #expect(!bucket.hasToken)
        bucket.refill(throttle, now: start + wait)
        #expect(bucket.hasToken)
    }

    /// Stepping time in odd increments adds exactly what one step of the whole interval adds: no rounding.
    @Test func manySmallRefillsDoNotDrift() {
        let throttle = Throttle(rateMilli: 1_000_000, burst: 1_000_000)  // 1000/s
        var stepped = TokenBucket(full: throttle, at: start)
        var once = stepped
        for _ in 0..<1_000_000 { stepped.take() }
        for _ in 0..<1_000_000 { once.take() }
        var now = start
        for step in 0..<100_000 {
            now += 7_919 + Int64(step % 13)
            stepped.refill(throttle, now: now)
        }
        once.refill(throttle, now: now)
        #expect(stepped == once)
        #expect(stepped.units == (now - start) * throttle.rateMilli)
    }

    /// An hour at 1000/s admits exactly 3,600,000 plus the burst.
    @Test func anHourOfDemandAdmitsRateTimesTimePlusBurst() {
        let throttle = Throttle(rateMilli: 1_000_000, burst: 100)
        var bucket = TokenBucket(full: throttle, at: start)
        var admitted: Int64 = 0
        var now = start
        // Ask every 0.5 ms (twice the rate), for an hour.
        let end = start + 3600 * second
        while now <= end {
            bucket.refill(throttle, now: now)
            if bucket.hasToken { bucket.take(); admitted += 1 }
            now += 500_000
        }
        #expect(admitted == 3600 * 1000 + 100)
    }

    @Test func aLongIdleBucketIsFullWithoutOverflow() {
        let throttle = Throttle(rateMilli: Throttle.maxRate * 1000, burst: Throttle.maxBurst)
        var bucket = TokenBucket(full: throttle, at: start)
        bucket.take()
        bucket.refill(throttle, now: .max)
        #expect(bucket.units == throttle.capacityUnits)
    }

    @Test func timeBeforeTheLastUpdateAddsNothing() {
        let throttle = Throttle(rateMilli: 1000, burst: 2)
        var bucket = TokenBucket(restoredUnits: 0, updatedAt: start + 10 * second)
        bucket.refill(throttle, now: start)
        #expect(bucket.units == 0 && bucket.updatedAt == start + 10 * second)
        bucket.refill(throttle, now: start + 11 * second)
        #expect(bucket.tokens == 1)
    }

    @Test func aRestoredLevelIsClampedToALowerBurst() {
        let throttle = Throttle(rateMilli: 1000, burst: 2)
        var bucket = TokenBucket(restoredUnits: 50 * TokenBucket.unitsPerToken, updatedAt: start)
        bucket.refill(throttle, now: start)
        #expect(bucket.tokens == 2)
    }

    @Test func throttlesDescribeThemselves() {
        #expect(Throttle(rateMilli: 1500, burst: 3).description == "1.5/s, burst 3")
        #expect(Throttle(rateMilli: 1000, burst: 3).description == "1/s, burst 3")
        #expect(Throttle(rateMilli: 5, burst: 1).description == "0.005/s, burst 1")
    }
}
