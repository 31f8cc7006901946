import GatewayCore
import NIOCore

/// First handler of every client connection: sees raw bytes before the HTTP decoder, so it can tell a
/// slow, incomplete head (slowloris) from an idle keep-alive connection. No package provides this.
final class ConnectionTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var machine: ConnectionTimeoutStateMachine
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(limits: Limits) {
        machine = ConnectionTimeoutStateMachine(headerTimeout: limits.headerTimeout, idleTimeout: limits.idleTimeout)
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
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func headReceived() { perform(machine.headReceived()) }

    func exchangeFinished(nextRequestQueued: Bool) {
        perform(machine.exchangeFinished(nextRequestQueued: nextRequestQueued))
    }

    private func perform(_ action: ConnectionTimeoutStateMachine.Action) {
        switch action {
        case .none:
            return
        case .cancel:
            timer?.cancel()
            timer = nil
        case .arm(let duration):
            timer?.cancel()
            guard let context else { return }
            let loopBoundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(in: .nanoseconds(duration.nanoseconds)) {
                let handler = loopBoundSelf.value
                handler.timer = nil
                handler.perform(handler.machine.timerFired())
            }
        case .close:
            timer = nil
            context?.close(promise: nil)
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
