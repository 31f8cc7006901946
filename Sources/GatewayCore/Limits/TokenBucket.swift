/// One token bucket's state: its level and when it was last refilled. Pure arithmetic on integers; the store that
/// owns it supplies the time and the lock.
///
/// Refill is continuous (`rateMilli` picotokens per nanosecond since the last update), so there is no per-second
/// reset to burst through and no rounding: a bucket that admits at 1000/s for a day admits exactly 86,400,000 plus
/// its burst.
public struct TokenBucket: Sendable, Equatable {
    /// Picotokens per token: with the rate in thousandths of a request per second, one nanosecond adds exactly
    /// `rateMilli` units.
    public static let unitsPerToken: Int64 = 1_000_000_000_000

    public private(set) var units: Int64
    public private(set) var updatedAt: EpochNanoseconds

    /// A full bucket: a new limit (or one reloaded under a new name) starts with its whole burst, as AWS's does.
    public init(full throttle: Throttle, at now: EpochNanoseconds) {
        units = throttle.capacityUnits
        updatedAt = now
    }

    /// A bucket as persisted; `refill` clamps the level to the current capacity (the burst may have changed).
    public init(restoredUnits units: Int64, updatedAt: EpochNanoseconds) {
        self.units = max(units, 0)
        self.updatedAt = updatedAt
    }

    /// Adds what flowed in since the last update. A time before it (a state restored from a clock ahead of this
    /// one) adds nothing, and is not recorded, so the bucket never refills twice for one interval.
    public mutating func refill(_ throttle: Throttle, now: EpochNanoseconds) {
        let capacity = throttle.capacityUnits
        if units > capacity { units = capacity }
        guard now > updatedAt else { return }
        let missing = capacity - units
        let elapsed = now - updatedAt
        // Past the time to fill, the bucket is full; below it, `elapsed × rate` stays under `capacity + rate`.
        if elapsed >= throttle.nanoseconds(toRefill: missing) {
            units = capacity
        } else {
            units += elapsed * throttle.rateMilli
        }
        updatedAt = now
    }

    public var hasToken: Bool { units >= Self.unitsPerToken }

    public mutating func take() {
        units -= Self.unitsPerToken
    }

    /// Whole tokens left (the `RateLimit` header's `r`).
    public var tokens: Int64 { units / Self.unitsPerToken }

    /// Until the next whole token (`Retry-After` when empty); 0 when one is there.
    public func nanosecondsUntilToken(_ throttle: Throttle) -> Int64 {
        throttle.nanoseconds(toRefill: Self.unitsPerToken - units)
    }

    /// Until the bucket is full again (the `RateLimit` header's `t`).
    public func nanosecondsUntilFull(_ throttle: Throttle) -> Int64 {
        throttle.nanoseconds(toRefill: throttle.capacityUnits - units)
    }
}
