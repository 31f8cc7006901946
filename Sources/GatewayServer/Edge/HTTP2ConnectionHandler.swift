import NIOCore
import NIOHTTP2

/// Sits after NIO's HTTP/2 handler on a client connection. Each stream is its own `GatewayHandler`, so the
/// connection-wide duties live here: the idle timer runs only while no stream is open, and a drain sends
/// GOAWAY and closes once the last stream is answered.
final class HTTP2ConnectionHandler: ChannelInboundHandler, DrainableConnection {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    /// "No new streams here"; streams already opened are still answered.
    private static let goAway = HTTP2Frame(streamID: .rootStream,
                                           payload: .goAway(lastStreamID: .maxID, errorCode: .noError, opaqueData: nil))

    private let loop: LoopState
    private let timeouts: ConnectionTimeoutHandler
    private var context: ChannelHandlerContext?
    private var openStreams = 0
    private var draining = false

    init(loop: LoopState, timeouts: ConnectionTimeoutHandler) {
        self.loop = loop
        self.timeouts = timeouts
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        timeouts.closeOnTimeout = { [unowned self] in self.goAwayAndClose() }
        loop.connections[ObjectIdentifier(self)] = self
        loop.metrics.connectionsActive.increment(by: 1)
        if loop.draining { drain() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeouts.closeOnTimeout = nil
        unregister()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        unregister()
        context.fireChannelInactive()
    }

    private func unregister() {
        if loop.connections.removeValue(forKey: ObjectIdentifier(self)) != nil {
            loop.metrics.connectionsActive.decrement(by: 1)
        }
    }

    /// Errors that reach the connection are the peer's protocol violations, already answered by NIO with GOAWAY
    /// or RST_STREAM; like grpc-swift, the connection is then closed rather than trusting the peer further.
    /// The GOAWAY is flushed, then the socket is closed under TLS (as nginx closes an erroneous connection
    /// without a TLS shutdown): a graceful TLS close would hold every cut-off connection's memory until its shutdown timeout.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.flush()
        timeouts.closeTransport()
        context.close(promise: nil)
    }

    /// A stream's handler joined the connection: while any stream is open, no connection timer runs.
    func streamOpened() {
        openStreams += 1
        if openStreams == 1 { timeouts.headReceived() }
    }

    func streamClosed() {
        openStreams -= 1
        guard openStreams == 0 else { return }
        if draining {
            context?.close(promise: nil)
        } else {
            timeouts.exchangeFinished(nextRequestQueued: false)
        }
    }

    /// GOAWAY tells the client to open no new streams here; the ones in flight are still answered.
    func drain() {
        guard !draining, let context else { return }
        draining = true
        context.writeAndFlush(wrapOutboundOut(Self.goAway), promise: nil)
        if openStreams == 0 { context.close(promise: nil) }
    }

    /// Header or idle timeout (no stream is open then): GOAWAY, then close once it is written.
    private func goAwayAndClose() {
        guard let context else { return }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(Self.goAway)).whenComplete { _ in channel.close(promise: nil) }
    }

    func forceClose() {
        context?.close(promise: nil)
    }
}
