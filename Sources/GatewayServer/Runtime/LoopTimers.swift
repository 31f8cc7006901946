import NIOCore

/// Something that owns loop timers; `generation` tells a live timer from one cancelled by re-arming.
protocol LoopTimerTarget: AnyObject {
    func loopTimerFired(generation: UInt64)
    /// False once the target re-armed or cancelled: the sweep then drops the entry early.
    func loopTimerIsLive(generation: UInt64) -> Bool
}

/// Coarse timers owned by one event loop, for the per-request route timeout and the per-connection
/// header/idle timeouts. Arming is an array append and cancelling is free (the target bumps its generation);
/// NIO's scheduled tasks instead take a lock to schedule and cancel by a linear scan of the timer heap,
/// which is a measurable cost when every request arms two timers. Timers fire up to `resolution` late.
final class LoopTimers {
    private struct Entry {
        let target: LoopTimerTarget
        let generation: UInt64
        let deadline: UInt64
    }

    let eventLoop: EventLoop
    let resolution: TimeAmount
    private var entries: [Entry] = []
    private var sweepScheduled = false

    init(eventLoop: EventLoop, resolution: TimeAmount = .milliseconds(20)) {
        self.eventLoop = eventLoop
        self.resolution = resolution
    }

    var count: Int { entries.count }

    /// Calls `target.loopTimerFired(generation:)` once `nanoseconds` have passed (uptime clock).
    func arm(_ target: LoopTimerTarget, generation: UInt64, after nanoseconds: Int64) {
        let now = NIODeadline.now().uptimeNanoseconds
        let deadline = nanoseconds <= 0 ? now : now &+ UInt64(nanoseconds)
        entries.append(Entry(target: target, generation: generation, deadline: deadline))
        if !sweepScheduled {
            sweepScheduled = true
            let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
            eventLoop.scheduleTask(in: resolution) { loopBound.value.sweepAndReschedule() }
        }
    }

    private func sweepAndReschedule() {
        sweepScheduled = false
        sweep(now: NIODeadline.now().uptimeNanoseconds)
        if !entries.isEmpty {
            sweepScheduled = true
            let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
            eventLoop.scheduleTask(in: resolution) { loopBound.value.sweepAndReschedule() }
        }
    }

    /// Fires every live entry whose deadline has passed and drops cancelled ones, so the list stays as
    /// small as the number of live timers plus what was cancelled since the last sweep.
    func sweep(now: UInt64) {
        var due: [Entry] = []
        entries.removeAll { entry in
            if !entry.target.loopTimerIsLive(generation: entry.generation) { return true }
            if entry.deadline <= now {
                due.append(entry)
                return true
            }
            return false
        }
        for entry in due { entry.target.loopTimerFired(generation: entry.generation) }
    }
}
