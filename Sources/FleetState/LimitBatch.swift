import GatewayCore
import NIOCore
import Redis
import Synchronization

/// The limit decisions one event loop makes in one tick, sent to Redis as one script call when the tick's other
/// work is done: one write, one reply, one budget timer and one script run for all of them, instead of one each.
/// Touched only on its loop.
final class LimitBatch {
    struct Entry {
        let request: LimitRequest
        let now: EpochNanoseconds
        let completion: @Sendable (OperationResult) -> Void
    }

    var entries: [Entry] = []
    var keys: [RESPArgument] = []
    /// Starts with the request count, filled in when the batch is sent.
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
final class LimitBatches: Sendable {
    private let batches = Mutex<[ObjectIdentifier: NIOLoopBoundBox<LimitBatch>]>([:])

    /// The batch of `eventLoop`; call on that loop.
    func batch(of eventLoop: EventLoop) -> NIOLoopBoundBox<LimitBatch> {
        batches.withLock { batches in
            if let box = batches[ObjectIdentifier(eventLoop)] { return box }
            let box = NIOLoopBoundBox(LimitBatch(), eventLoop: eventLoop)
            batches[ObjectIdentifier(eventLoop)] = box
            return box
        }
    }
}

/// The same for WAF rate decisions: one script call per loop tick for every request's hits.
final class RateBatch {
    struct Entry {
        let hits: [RateHit]
        let now: EpochNanoseconds
        let completion: @Sendable (OperationResult) -> Void
    }

    var entries: [Entry] = []
    var keys: [RESPArgument] = []
    var arguments: [RESPArgument] = [0]
    var flushScheduled = false

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

/// One rate batch per event loop.
final class RateBatches: Sendable {
    private let batches = Mutex<[ObjectIdentifier: NIOLoopBoundBox<RateBatch>]>([:])

    func batch(of eventLoop: EventLoop) -> NIOLoopBoundBox<RateBatch> {
        batches.withLock { batches in
            if let box = batches[ObjectIdentifier(eventLoop)] { return box }
            let box = NIOLoopBoundBox(RateBatch(), eventLoop: eventLoop)
            batches[ObjectIdentifier(eventLoop)] = box
            return box
        }
    }
}
