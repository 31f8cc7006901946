/// A token bucket's settings (contract: `throttle`): `rate` requests per second refill a bucket of `burst`.
///
/// The rate is kept in thousandths of a request per second, so refills are whole numbers: a bucket counts
/// picotokens (`TokenBucket.unitsPerToken`) and gains exactly `rateMilli` of them per nanosecond, with no rounding
/// to drift over a long test.
public struct Throttle: Sendable, Hashable, CustomStringConvertible {
    /// Requests per second × 1000 (the config accepts at most three decimals).
    public let rateMilli: Int64
    public let burst: Int64

    /// Limits that keep every product in `TokenBucket` inside `Int64`.
    public static let maxRate: Int64 = 1_000_000
    public static let maxBurst: Int64 = 1_000_000

    public init(rateMilli: Int64, burst: Int64) {
        precondition(rateMilli > 0 && rateMilli <= Self.maxRate * 1000 && burst >= 1 && burst <= Self.maxBurst)
        self.rateMilli = rateMilli
        self.burst = burst
    }

    /// Requests per second, for headers and reports.
    public var rate: Double { Double(rateMilli) / 1000 }
    /// The bucket's capacity in picotokens.
    public var capacityUnits: Int64 { burst * TokenBucket.unitsPerToken }

    /// Nanoseconds for `units` picotokens to flow in, rounded up.
    public func nanoseconds(toRefill units: Int64) -> Int64 {
        units <= 0 ? 0 : (units + rateMilli - 1) / rateMilli
    }

    public var description: String {
        let whole = rateMilli / 1000, fraction = rateMilli % 1000
        let rateText = fraction == 0 ? "\(whole)" : "\(whole)." + String(String(fraction + 1000).dropFirst()).trimmingTrailingZeros
        return "\(rateText)/s, burst \(burst)"
    }
}

extension String {
    fileprivate var trimmingTrailingZeros: String {
        var text = self
        while text.last == "0" { text.removeLast() }
        return text
    }
}
