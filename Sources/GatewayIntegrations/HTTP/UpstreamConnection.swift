import NIOCore
import NIOHTTP1

/// One keep-alive HTTP/1.1 connection to an upstream, owned by a loop-local `UpstreamPool`.
///
/// It forwards response parts to the current sink, returns itself to the pool when a response ends on a
/// reusable connection, and holds back `read()` while the client cannot take more bytes (back-pressure).
public final class UpstreamConnection: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPClientResponsePart
    public typealias OutboundIn = HTTPClientRequestPart
    public typealias OutboundOut = HTTPClientRequestPart

    public let channel: Channel
    unowned let pool: UpstreamPool
    private var context: ChannelHandlerContext?
    /// Strong while a response is in flight (cleared at its end, on failure and on abandon): a weak
    /// reference costs an atomic load per response part.
    private var sink: UpstreamResponseSink?
    private var requestComplete = false
    private var responseStarted = false
    private var responseKeepAlive = true
    private var readPaused = false
    private var pendingRead = false
    private var closed = false
    /// How many requests this connection has carried; a failure on a reused connection may be a stale keep-alive.
    public private(set) var requestsServed = 0

    init(channel: Channel, pool: UpstreamPool) {
        self.channel = channel
        self.pool = pool
    }

    public func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    public func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Starts a request: writes the head without flushing (the caller flushes after `.end` for one syscall).
    public func start(_ head: HTTPRequestHead, sink: UpstreamResponseSink) {
        self.sink = sink
        self.requestComplete = false
        self.responseStarted = false
        self.responseKeepAlive = true
        self.requestsServed += 1
        context?.write(NIOAny(HTTPClientRequestPart.head(head)), promise: nil)
    }

    public func writeBody(_ buffer: ByteBuffer) {
        context?.write(NIOAny(HTTPClientRequestPart.body(.byteBuffer(buffer))), promise: nil)
    }

    public func writeEnd(flush: Bool = true) {
        requestComplete = true
        context?.write(NIOAny(HTTPClientRequestPart.end(nil)), promise: nil)
        if flush { context?.flush() }
    }

    public func flush() { context?.flush() }

    /// Returns a connection that was acquired but never used (its request went away meanwhile).
    public func recycle() { pool.release(self) }

    public var isWritable: Bool { channel.isWritable }

    /// Detaches the sink and closes: used when the client went away or the request timed out mid-exchange.
    public func abandon() {
        sink = nil
        closeNow()
    }

    // MARK: back-pressure from the client side

    public func pauseReading() { readPaused = true }

    public func resumeReading() {
        guard readPaused else { return }
        readPaused = false
        if pendingRead, let context {
            pendingRead = false
            context.read()
        }
    }

    public func read(context: ChannelHandlerContext) {
        if readPaused { pendingRead = true } else { context.read() }
    }

    // MARK: inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            responseStarted = true
            responseKeepAlive = head.isKeepAlive
            sink?.upstreamResponseHead(head)
        case .body(let buffer):
            sink?.upstreamResponseBody(buffer)
        case .end(let trailers):
            let sink = self.sink
            self.sink = nil
            responseStarted = false
            let reusable = requestComplete && responseKeepAlive
            if reusable { pool.release(self) } else { closeNow() }
            sink?.upstreamResponseEnd(trailers)
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        sink?.upstreamReadComplete()
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        sink?.upstreamWritabilityChanged(isWritable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        failAndForget(.connectionLost(responseStarted: responseStarted))
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        if error is HTTPParserError {
            failAndForget(.protocolError("\(error)"))
        } else {
            failAndForget(.connectionLost(responseStarted: responseStarted))
        }
        closeNow()
    }

    private func failAndForget(_ error: UpstreamError) {
        let sink = self.sink
        self.sink = nil
        if !closed {
            closed = true
            pool.connectionClosed(self)
        }
        sink?.upstreamFailed(error)
    }

    private func closeNow() {
        if !closed {
            closed = true
            pool.connectionClosed(self)
        }
        channel.close(promise: nil)
    }
}
