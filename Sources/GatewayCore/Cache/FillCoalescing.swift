import Synchronization

/// Request coalescing: the first miss for a key fetches it (the leader); later misses for the same key wait for
/// the leader's outcome instead of reaching the upstream too. When the leader releases its lease (its response
/// stored, found not cacheable, failed, or its exchange ended), every waiter runs the cache stage again: a stored
/// response is then a hit, anything else sends each waiter on its own.
public final class FillCoalescer: Sendable {
    private let inflight = Mutex<[CacheKey: [FillWaiter]]>([:])

    public init() {}

    public enum Ticket {
        case lead(FillLease)
        case wait(FillWaiter)
    }

    public func join(_ key: CacheKey) -> Ticket {
        inflight.withLock { table in
            if table[key] != nil {
                let waiter = FillWaiter()
                table[key]!.append(waiter)
                return .wait(waiter)
            }
            table[key] = []
            return .lead(FillLease(key: key, coalescer: self))
        }
    }

    /// Keys being fetched now (tests, metrics).
    public var inflightCount: Int { inflight.withLock { $0.count } }

    fileprivate func release(_ key: CacheKey) {
        let waiters = inflight.withLock { $0.removeValue(forKey: key) } ?? []
        for waiter in waiters { waiter.wake() }
    }
}

/// The leader's claim on a key; released exactly once, whichever path ends the fill first.
public final class FillLease: Sendable {
    let key: CacheKey
    private let coalescer: FillCoalescer
    private let released = Atomic(false)

    init(key: CacheKey, coalescer: FillCoalescer) {
        self.key = key
        self.coalescer = coalescer
    }

    public func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        coalescer.release(key)
    }

    deinit { release() }
}

/// A miss waiting for the leader: the operation the cache stage suspends on.
public final class FillWaiter: PendingOperation, Sendable {
    private enum State {
        case waiting
        case started(@Sendable (OperationResult) -> Void)
        case woken
        case cancelled
    }

    private let state = Mutex(State.waiting)

    public func start(_ completion: @escaping @Sendable (OperationResult) -> Void) {
        let wokenAlready = state.withLock { state -> Bool in
            switch state {
            case .waiting:
                state = .started(completion)
                return false
            case .woken:
                return true
            case .started, .cancelled:
                return false
            }
        }
        if wokenAlready { completion(.success(FillOutcome.released)) }
    }

    public func cancel() {
        state.withLock { $0 = .cancelled }
    }

    func wake() {
        let completion = state.withLock { state -> (@Sendable (OperationResult) -> Void)? in
            switch state {
            case .waiting:
                state = .woken
                return nil
            case .started(let completion):
                state = .woken
                return completion
            case .woken, .cancelled:
                return nil
            }
        }
        completion?(.success(FillOutcome.released))
    }
}

/// What a waiter is woken with.
public enum FillOutcome: Sendable {
    case released
}
