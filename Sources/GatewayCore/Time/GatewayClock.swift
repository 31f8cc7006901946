#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point in time as nanoseconds since the Unix epoch, from a clock that never runs backwards.
public typealias EpochNanoseconds = Int64

/// Where stages read time: the system clock in production, a clock the test moves by hand in tests.
public protocol GatewayClock: Sendable {
    func now() -> EpochNanoseconds
}

/// The wall clock as log lines and events show it: milliseconds since the Unix epoch, as the system reads it now
/// (for timestamps only; stages measure time with a `GatewayClock`).
public enum WallClock {
    public static func epochMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// Wall time at start plus monotonic time since: windows and buckets never see a step of the wall clock (NTP,
/// an operator's `date -s`), yet the readings are epoch times the admin API and logs can show.
public struct SystemClock: GatewayClock {
    private let wallAtStart: Int64
    private let monotonicAtStart: Int64

    public init() {
        wallAtStart = Self.read(CLOCK_REALTIME)
        monotonicAtStart = Self.read(CLOCK_MONOTONIC)
    }

    public func now() -> EpochNanoseconds {
        wallAtStart &+ (Self.read(CLOCK_MONOTONIC) &- monotonicAtStart)
    }

    private static func read(_ clock: clockid_t) -> Int64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
