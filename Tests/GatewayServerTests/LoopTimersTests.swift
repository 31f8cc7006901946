import NIOCore
import NIOEmbedded
import Testing
@testable import GatewayServer

@Suite struct LoopTimersTests {
    final class Recorder: LoopTimerTarget {
        var live: Set<UInt64> = []
        var fired: [UInt64] = []
        func loopTimerFired(generation: UInt64) { fired.append(generation) }
        func loopTimerIsLive(generation: UInt64) -> Bool { live.contains(generation) }
    }

    @Test func firesDueLiveTimersAndDropsCancelledOnesEarly() {
        let loop = EmbeddedEventLoop()
        let timers = LoopTimers(eventLoop: loop)
        let target = Recorder()
        target.live = [1, 2]
        timers.arm(target, generation: 1, after: 1_000)
        timers.arm(target, generation: 2, after: 60_000_000_000)
        timers.arm(target, generation: 3, after: 60_000_000_000)  // already cancelled: not live
        #expect(timers.count == 3)
        timers.sweep(now: NIODeadline.now().uptimeNanoseconds + 1_000_000)
        #expect(target.fired == [1])
        #expect(timers.count == 1, "the cancelled long timer is dropped without waiting for its deadline")
        target.live = []
        timers.sweep(now: NIODeadline.now().uptimeNanoseconds)
        #expect(timers.count == 0)
        #expect(target.fired == [1])
    }
}
