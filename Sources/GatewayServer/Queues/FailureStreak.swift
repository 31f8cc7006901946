import Synchronization

/// Failures of one kind in a row (a queue store that is away): its owner logs an outage when it starts and when it
/// ends, not once per failed call.
final class FailureStreak: Sendable {
    private let count = Atomic<Int>(0)

    /// Records a failure; returns the streak's length (1: an outage starts).
    func failed() -> Int { count.add(1, ordering: .relaxed).newValue }

    /// Records a success; returns how many failed before it (0 when none: one load, no write, on a busy path).
    func succeeded() -> Int {
        guard count.load(ordering: .relaxed) > 0 else { return 0 }
        return count.exchange(0, ordering: .relaxed)
    }
}
