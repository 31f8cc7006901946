import GatewayCore
import NIOCore
import Redis
import Synchronization

/// What a store sends for its batches: one script call for a batch's decisions, and each decision's answer from
/// the call's result (a failure included).
protocol TickBatchSender<Entry>: AnyObject, Sendable {
    associatedtype Entry
    func call(_ batch: TickBatch<Entry>.Taken, on eventLoop: EventLoop, within budget: TimeAmount) -> EventLoopFuture<RESPValue>
    func answer(_ entries: [Entry], with result: Result<RESPValue, any Error>)
}

/// The decisions one event loop makes in one tick, sent to Redis as one script call when the tick's other work is
/// done: one write, one reply, one budget timer and one script run for all of them, instead of one each.
/// (Holding a tick's batch back while the loop's previous call was out made bigger batches but cost more in
/// waiting than it saved: 0.9× the throughput, measured.)
/// Touched only on its loop. `Entry` is what each decision needs back (its request and completion).
final class TickBatch<Entry> {
    typealias Taken = (entries: [Entry], keys: [RESPArgument], arguments: [RESPArgument])

    /// Decisions that ask the same of the same keys, sent as one: where each group's size goes in `arguments`.
    /// Empty when a store sends each decision on its own.
    struct Group {
        let firstEntry: Int
        let sizeArgument: Int
        var size: Int64
    }

    var entries: [Entry] = []
    var keys: [RESPArgument] = []
    /// Starts with the count of decisions (or groups), filled in when the batch is sent.
    var arguments: [RESPArgument] = [0]
    var groups: [Group] = []
    private var sendScheduled = false

    /// Call after adding a decision's entry, keys and arguments, on the batch's loop.
    func joined<Sender: TickBatchSender<Entry>>(by sender: Sender, on eventLoop: EventLoop, budget: TimeAmount) {
        guard !sendScheduled else { return }
        sendScheduled = true
        let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
        eventLoop.execute {
            let batch = loopBound.value.take()
            let entries = NIOLoopBound(batch.entries, eventLoop: eventLoop)
            sender.call(batch, on: eventLoop, within: budget).whenComplete { sender.answer(entries.value, with: $0) }
        }
    }

    /// Takes what was collected, leaving the batch empty (its arrays keep their capacity for the next tick).
    private func take() -> Taken {
        if groups.isEmpty {
            arguments[0] = .integer(Int64(entries.count))
        } else {
            arguments[0] = .integer(Int64(groups.count))
            for group in groups { arguments[group.sizeArgument] = .integer(group.size) }
            groups.removeAll(keepingCapacity: true)
        }
        let taken = (entries, keys, arguments)
        entries.removeAll(keepingCapacity: true)
        keys.removeAll(keepingCapacity: true)
        arguments.removeAll(keepingCapacity: true)
        arguments.append(0)
        sendScheduled = false
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

/// A limit decision waiting in a batch: the `position`th request of the batch's group `group`.
struct LimitDecision {
    let request: LimitRequest
    let now: EpochNanoseconds
    let completion: @Sendable (OperationResult) -> Void
    let group: Int
    let position: Int
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
