import Synchronization

/// A clock that moves only when told to: tests of windows and buckets step time exactly instead of sleeping.
public final class ManualClock: GatewayClock {
    private let nanoseconds: Atomic<Int64>

    public init(_ start: EpochNanoseconds = 1_800_000_000 * 1_000_000_000) {
        nanoseconds = Atomic(start)
    }

    public func now() -> EpochNanoseconds { nanoseconds.load(ordering: .acquiring) }

    public func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        nanoseconds.add(seconds * 1_000_000_000 + attoseconds / 1_000_000_000, ordering: .releasing)
    }
}
