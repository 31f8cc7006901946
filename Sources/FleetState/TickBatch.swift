import GatewayCore
import NIOCore
import Redis
import Synchronization

/// The decisions one event loop makes in one tick, sent to Redis as one script call when the tick's other work is
/// done: one write, one reply, one budget timer and one script run for all of them, instead of one each.
/// Touched only on its loop. `Entry` is what each decision needs back (its request and completion).
final class TickBatch<Entry> {
    var entries: [Entry] = []
    var keys: [RESPArgument] = []
    /// Starts with the decision count, filled in when the batch is sent.
    var arguments: [RESPArgument] = [0]
    var flushScheduled = false

    /// Takes what was collected, leaving the batch empty (its arrays keep their capacity for the next tick).
    func take() -> (entries: [Entry], keys: [RESPArgument], arguments: [RESPArgument]) {
        arguments[0] = .integer(Int64(entries.count))
        let taken = (entries, keys, arguments)
        entries.removeAll(keepingCapacity: true)
        keys.removeAll(keepingCapacity: true)
        arguments.removeAll(keepingCapacity: true)
        arguments.append(0)
        flushScheduled = false
        return taken
    }
}

/// One batch per event loop, made when a loop first decides.
final class TickBatches<Entry>: Sendable {
    private let batches = Mutex<[ObjectIdentifier: NIOLoopBoundBox<TickBatch<Entry>>]>([:])

    /// The batch of `eventLoop`; call on that loop.
    func batch(of eventLoop: EventLoop) -> NIOLoopBoundBox<TickBatch<Entry>> {
        batches.withLock { batches in
            if let box = batches[ObjectIdentifier(eventLoop)] { return box }
            let box = NIOLoopBoundBox(TickBatch<Entry>(), eventLoop: eventLoop)
            batches[ObjectIdentifier(eventLoop)] = box
            return box
        }
    }
}

/// A limit decision waiting in a batch.
struct LimitDecision {
    let request: LimitRequest
    let now: EpochNanoseconds
    let completion: @Sendable (OperationResult) -> Void
}

/// A WAF rate decision waiting in a batch.
struct RateDecision {
    let hits: [RateHit]
    let now: EpochNanoseconds
    let completion: @Sendable (OperationResult) -> Void
}

extension RedisLimitStore.ClockSource {
    /// The scripts' `now` argument: '' for the server's clock, else the caller's time in µs.
    func argument(_ now: EpochNanoseconds) -> RESPArgument {
        switch self {
        case .server: ""
        case .caller: .integer(now / 1000)
        }
    }
}

extension RedisClientError {
    /// Why a batch's script call failed, for the availability log line.
    static func reason(_ error: any Error, budget: TimeAmount) -> String {
        if case RedisClientError.timedOut = error { return "no reply within the \(budget.nanoseconds / 1_000_000) ms budget" }
        return "\(error)"
    }
}
