import GatewayCore
import NIOCore

/// First handler of every client connection: sees raw bytes before the HTTP decoder, so it can tell a
/// slow, incomplete head (slowloris) from an idle keep-alive connection. No package provides this.
final class ConnectionTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler, LoopTimerTarget {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var machine: ConnectionTimeoutStateMachine
    private let timers: LoopTimers
    /// Bumped on every arm and cancel: only the newest armed timer may fire.
    private var timerGeneration: UInt64 = 0
    private var timerArmed = false
    private var context: ChannelHandlerContext?
    /// Replaces the plain close when a timer expires: an HTTP/2 connection says GOAWAY first, so a client never
    /// sends a request onto a connection that is already closing.
    var closeOnTimeout: (() -> Void)?

    init(limits: Limits, timers: LoopTimers) {
        machine = ConnectionTimeoutStateMachine(headerTimeout: limits.headerTimeout, idleTimeout: limits.idleTimeout)
        self.timers = timers
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { perform(machine.connectionOpened()) }
    }

    func channelActive(context: ChannelHandlerContext) {
        perform(machine.connectionOpened())
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        perform(machine.bytesReceived())
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        self.context = nil
        context.fireChannelInactive()
    }

    func headReceived() { perform(machine.headReceived()) }

    /// Closes the socket from below TLS: no close_notify and no wait for the peer's. For a connection cut off as
    /// abusive; NIOSSL's graceful close keeps a closed connection's handler and buffers alive until its shutdown
    /// timeout (`TLSContextFactory`) even when the peer has gone, which under a flood of fresh connections adds up.
    func closeTransport() {
        context?.close(promise: nil)
    }

    func exchangeFinished(nextRequestQueued: Bool) {
        perform(machine.exchangeFinished(nextRequestQueued: nextRequestQueued))
    }

    func loopTimerFired(generation: UInt64) {
        guard timerArmed, generation == timerGeneration else { return }
        timerArmed = false
        perform(machine.timerFired())
    }

    func loopTimerIsLive(generation: UInt64) -> Bool {
        timerArmed && generation == timerGeneration
    }

    private func cancelTimer() {
        timerGeneration &+= 1
        timerArmed = false
    }

    private func perform(_ action: ConnectionTimeoutStateMachine.Action) {
        switch action {
        case .none:
            return
        case .cancel:
            cancelTimer()
        case .arm(let duration):
            guard context != nil else { return }
            timerGeneration &+= 1
            timerArmed = true
            timers.arm(self, generation: timerGeneration, after: duration.nanoseconds)
        case .close:
            cancelTimer()
            if let closeOnTimeout { closeOnTimeout() } else { context?.close(promise: nil) }
        }
    }
}

extension Duration {
    /// Whole nanoseconds, saturating; NIO's `TimeAmount` wants an `Int64`.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return product &+ attoseconds / 1_000_000_000
    }

    var timeAmount: TimeAmount { .nanoseconds(nanoseconds) }
}
