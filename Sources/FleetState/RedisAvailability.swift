import NIOCore
import Redis
import Synchronization

/// Whether the fleet's Redis answers, as the stores see it: a failed command, a closed connection or a reply past
/// the request budget marks it unavailable at once (so later requests do not wait on it); a probe then retries
/// with back-off and marks it available again only after a `PING` answered within the budget and the stores
/// resynchronised. Every transition is reported once.
public final class RedisAvailability: Sendable {
    /// A change of state, for logs and metrics.
    public enum Transition: Sendable, Equatable {
        case unavailable(reason: String)
        case available(afterMilliseconds: Int64)
    }

    private struct State {
        var available = true
        var since = ContinuousClock.now
        var probing = false
    }

    private let pool: RedisPool
    private let budget: Duration
    private let fastFlag = Atomic<Bool>(true)
    private let state = Mutex(State())
    private let observers = Mutex<[@Sendable (Transition) -> Void]>([])
    /// Work to do as Redis is used again (the stores push what they counted locally meanwhile); false: it could
    /// not, and Redis counts as unavailable again.
    private let recoveries = Mutex<[@Sendable () async -> Bool]>([])
    private let stopped = Atomic<Bool>(false)

    /// Back-off between probes: from the first to the last, doubling.
    static let firstRetry = Duration.milliseconds(50)
    static let lastRetry = Duration.seconds(2)

    public init(pool: RedisPool, budget: Duration) {
        self.pool = pool
        self.budget = budget
    }

    /// Read on every metered request: one relaxed atomic load.
    public var isAvailable: Bool { fastFlag.load(ordering: .relaxed) }

    public func onTransition(_ observer: @escaping @Sendable (Transition) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    public func onRecovery(_ work: @escaping @Sendable () async -> Bool) {
        recoveries.withLock { $0.append(work) }
    }

    /// A command failed or missed its budget: stop using Redis until a probe succeeds.
    public func reportFailure(_ reason: String) {
        guard !stopped.load(ordering: .relaxed) else { return }  // shutting down: late failures mean nothing
        let startProbe = state.withLock { state -> Bool in
            guard state.available else { return false }
            state.available = false
            state.since = .now
            fastFlag.store(false, ordering: .relaxed)
            // Under the lock, so observers see transitions in the order they happened.
            notify(.unavailable(reason: reason))
            if state.probing { return false }
            state.probing = true
            return true
        }
        guard startProbe else { return }
        Task { await self.probe() }
    }

    /// Stops probing and reporting (shutdown).
    public func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    /// Until Redis answers within the budget and the stores have resynchronised. Requests go back to Redis before
    /// the resynchronisation (so none is decided locally after its counts were collected); if it fails, they are
    /// decided locally again and probing goes on.
    private func probe() async {
        var delay = Self.firstRetry
        while !stopped.load(ordering: .relaxed) {
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, Self.lastRetry)
            guard await ping() else { continue }
            fastFlag.store(true, ordering: .relaxed)
            var synchronised = true
            for work in recoveries.withLock({ $0 }) where await !work() { synchronised = false }
            let recovered = state.withLock { state -> Bool in
                guard synchronised, !stopped.load(ordering: .relaxed) else {
                    fastFlag.store(false, ordering: .relaxed)
                    return false
                }
                state.available = true
                state.probing = false
                let (seconds, attoseconds) = (ContinuousClock.now - state.since).components
                notify(.available(afterMilliseconds: seconds * 1000 + attoseconds / 1_000_000_000_000_000))
                return true
            }
            if recovered { return }
        }
        state.withLock { $0.probing = false }
    }

    /// True when a connection answers PING within the budget.
    private func ping() async -> Bool {
        let reply = try? await pool.send(["PING"], on: RedisPool.currentOrAnyLoop(),
                                         within: .nanoseconds(Self.nanoseconds(budget))).get()
        return reply == .simpleString("PONG")
    }

    private func notify(_ transition: Transition) {
        for observer in observers.withLock({ $0 }) { observer(transition) }
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// Lets exactly one of several racing completions (a reply, a timer) act.
final class Once: Sendable {
    private let done = Atomic<Bool>(false)

    func claim() -> Bool {
        done.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }
}
