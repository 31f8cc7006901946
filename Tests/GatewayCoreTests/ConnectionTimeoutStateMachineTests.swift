import GatewayCore
import Testing

@Suite struct ConnectionTimeoutStateMachineTests {
    var machine = ConnectionTimeoutStateMachine(headerTimeout: .seconds(10), idleTimeout: .seconds(60))

    @Test mutating func newConnectionGetsHeaderTimer() {
        #expect(machine.connectionOpened() == .arm(.seconds(10)))
        #expect(machine.timerFired() == .close)
    }

    @Test mutating func completeHeadCancelsTimerAndBusyConnectionIsNeverTimedOut() {
        _ = machine.connectionOpened()
        #expect(machine.bytesReceived() == .none)
        #expect(machine.headReceived() == .cancel)
        #expect(machine.timerFired() == .none)
    }

    @Test mutating func idleKeepAliveUsesIdleTimerThenHeaderTimerOnceBytesArrive() {
        _ = machine.connectionOpened()
        _ = machine.headReceived()
        #expect(machine.exchangeFinished(nextRequestQueued: false) == .arm(.seconds(60)))
        #expect(machine.bytesReceived() == .arm(.seconds(10)))
        #expect(machine.bytesReceived() == .none)
        #expect(machine.timerFired() == .close)
    }

    @Test mutating func pipelinedRequestKeepsConnectionBusy() {
        _ = machine.connectionOpened()
        _ = machine.headReceived()
        #expect(machine.exchangeFinished(nextRequestQueued: true) == .none)
        #expect(machine.headReceived() == .none)
        #expect(machine.timerFired() == .none)
    }

    @Test mutating func idleTimerClosesQuietConnection() {
        _ = machine.connectionOpened()
        _ = machine.headReceived()
        _ = machine.exchangeFinished(nextRequestQueued: false)
        #expect(machine.timerFired() == .close)
    }
}
