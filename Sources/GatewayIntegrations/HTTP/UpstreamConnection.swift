import NIOCore
import NIOSSL

/// One keep-alive HTTP/1.1 connection to an upstream, owned by a loop-local `UpstreamPool`.
///
/// Both directions are raw bytes, with no NIO HTTP codec: requests go out as a head the caller serialised
/// plus body bytes (chunk framing added here, `ChunkedRequestFraming`); responses are framed by this handler
/// (`UpstreamResponseHeadParser`, `ChunkedBodyScanner`) and handed over without decoding the body, so the
/// gateway can splice them to the client. It returns itself to the pool when a response ends on a reusable
/// connection, and holds back `read()` while the client cannot take more (back-pressure).
///
/// Bytes the upstream sends past a response's framed end are never read as the next response: whether they come
/// in the same read or while the connection sits idle, the connection closes instead of going back to the pool.
/// (Bytes that arrive only after the next request was written cannot be told from its response in HTTP/1.1; as
/// in nginx, they are caught only when they do not parse.)
public final class UpstreamConnection: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private enum ResponseState {
        case idle
        case head
        case body(UpstreamResponseHead.BodyFraming)
        /// The response's framed end was reached inside the current read; `consume` decides reuse.
        case complete
    }

    public let channel: Channel
    unowned let pool: UpstreamPool
    private var context: ChannelHandlerContext?
    /// Strong while a response is in flight (cleared at its end, on failure and on abandon): a weak
    /// reference costs an atomic load per response part.
    private var sink: UpstreamResponseSink?
    private var state = ResponseState.idle
    private var headBuffer: ByteBuffer?
    private var remaining = 0
    private var chunkScanner = ChunkedBodyScanner()
    private var requestIsHead = false
    /// The request body is sent chunked: each body write gets its chunk framing, the end the last chunk.
    private var chunkedRequest = false
    private var dechunk = false
    private var requestComplete = false
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

    /// Starts a request: writes the serialised `head` (request line through the blank line) without flushing
    /// (the caller flushes after the end, for one syscall). `isHeadRequest` tells the response framing that no
    /// body follows; `chunkedBody` must match the head's `transfer-encoding: chunked`. `dechunk` asks for
    /// chunked response bodies as bare payload (for HTTP/1.0 clients).
    public func start(head: ByteBuffer, isHeadRequest: Bool, chunkedBody: Bool, sink: UpstreamResponseSink,
                      dechunk: Bool = false) {
        self.sink = sink
        state = .head
        requestIsHead = isHeadRequest
        chunkedRequest = chunkedBody
        self.dechunk = dechunk
        requestComplete = false
        responseKeepAlive = true
        requestsServed += 1
        context?.write(NIOAny(head), promise: nil)
    }

    /// Request body bytes, passed through as they are (Content-Length) or as one chunk (chunked).
    public func writeBody(_ buffer: ByteBuffer) {
        guard let context else { return }
        if chunkedRequest {
            // An empty chunk would end the body early.
            guard buffer.readableBytes > 0 else { return }
            var sizeLine = context.channel.allocator.buffer(capacity: ChunkedRequestFraming.maxSizeLineLength)
            ChunkedRequestFraming.writeSizeLine(&sizeLine, size: buffer.readableBytes)
            context.write(NIOAny(sizeLine), promise: nil)
            context.write(NIOAny(buffer), promise: nil)
            context.write(NIOAny(ChunkedRequestFraming.chunkEnd), promise: nil)
        } else {
            context.write(NIOAny(buffer), promise: nil)
        }
    }

    /// The request is complete: a chunked body gets its last chunk; otherwise nothing more is written.
    public func writeEnd(flush: Bool = true) {
        requestComplete = true
        if chunkedRequest { context?.write(NIOAny(ChunkedRequestFraming.lastChunk), promise: nil) }
        if flush { context?.flush() }
    }

    public func flush() { context?.flush() }

    /// Returns a connection that was acquired but never used (its request went away meanwhile).
    public func recycle() { pool.release(self) }

    public var isWritable: Bool { channel.isWritable }

    /// Gives the response in flight to another sink: its client left, and a cache fill reads it on without one.
    /// Reading resumes, since the pause was that client's back-pressure.
    public func redirect(to sink: UpstreamResponseSink) {
        guard self.sink != nil else { return }
        self.sink = sink
        resumeReading()
    }

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
        var buffer = unwrapInboundIn(data)
        do {
            try consume(&buffer)
        } catch {
            fail(.protocolError(error.message))
            closeNow()
        }
    }

    private func consume(_ buffer: inout ByteBuffer) throws(UpstreamProtocolError) {
        while true {
            switch state {
            case .idle:
                // Bytes with no request outstanding: the upstream is out of step; never reuse this connection.
                guard buffer.readableBytes == 0 else { throw UpstreamProtocolError(message: "unexpected bytes between responses") }
                return
            case .head:
                guard buffer.readableBytes > 0, try readHead(&buffer) else { return }
            case .body(let framing):
                guard buffer.readableBytes > 0 else { return }
                try readBody(&buffer, framing)
            case .complete:
                // Bytes past the framed end belong to no request: this response stands, the connection closes,
                // and they are dropped. Decided before the pool can hand the connection to the next request.
                finishResponse(reusable: buffer.readableBytes == 0)
                return
            }
        }
    }

    /// Returns false when the head is still incomplete (all bytes were buffered).
    private func readHead(_ buffer: inout ByteBuffer) throws(UpstreamProtocolError) -> Bool {
        var scanFrom = 0
        if headBuffer != nil {
            scanFrom = max(0, headBuffer!.readableBytes - 3)
            headBuffer!.writeBuffer(&buffer)
        } else {
            headBuffer = buffer
            buffer.moveReaderIndex(to: buffer.writerIndex)
        }
        guard let end = UpstreamResponseHeadParser.headEnd(in: headBuffer!.readableBytesView, from: scanFrom) else {
            if headBuffer!.readableBytes > UpstreamResponseHeadParser.maxHeadSize {
                throw UpstreamProtocolError(message: "response head too large")
            }
            return false
        }
        var pending = headBuffer!
        headBuffer = nil
        let headBytes = pending.readSlice(length: end)!
        buffer = pending
        let head = try UpstreamResponseHeadParser.parse(headBytes, requestMethodIsHead: requestIsHead)
        if head.status < 200 {
            // Interim responses (100, 103) are not forwarded; 101 would switch protocols, which we never ask for.
            if head.status == 101 { throw UpstreamProtocolError(message: "unexpected 101 Switching Protocols") }
            return true
        }
        responseKeepAlive = head.keepAlive
        sink?.upstreamResponseHead(head)
        switch head.framing {
        case .none:
            state = .complete
        case .contentLength(let length):
            remaining = length
            state = .body(head.framing)
        case .chunked:
            chunkScanner = ChunkedBodyScanner()
            state = .body(head.framing)
        case .untilClose:
            state = .body(head.framing)
        }
        return true
    }

    private func readBody(_ buffer: inout ByteBuffer, _ framing: UpstreamResponseHead.BodyFraming) throws(UpstreamProtocolError) {
        switch framing {
        case .contentLength:
            let n = min(remaining, buffer.readableBytes)
            let slice = buffer.readSlice(length: n)!
            remaining -= n
            sink?.upstreamResponseBody(slice)
            if remaining == 0 { state = .complete }
        case .chunked:
            let view = buffer.readableBytesView
            let end: Int?
            if dechunk, let sink {
                var ranges: [Range<Int>] = []
                end = try chunkScanner.scan(view) { ranges.append($0) }
                for range in ranges where !range.isEmpty {
                    sink.upstreamResponseBody(buffer.getSlice(at: buffer.readerIndex + range.lowerBound, length: range.count)!)
                }
                buffer.moveReaderIndex(forwardBy: end ?? buffer.readableBytes)
            } else {
                end = try chunkScanner.scan(view)
                let slice = buffer.readSlice(length: end ?? buffer.readableBytes)!
                sink?.upstreamResponseBody(slice)
            }
            if end != nil { state = .complete }
        case .untilClose:
            sink?.upstreamResponseBody(buffer)
            buffer.moveReaderIndex(to: buffer.writerIndex)
        case .none:
            state = .complete
        }
    }

    /// `reusable` is false when bytes followed the response's end: the connection closes instead of going back.
    private func finishResponse(reusable: Bool) {
        let sink = self.sink
        self.sink = nil
        state = .idle
        // Back-pressure belonged to that client: a pooled connection that stays paused would never read its next
        // response (or notice the upstream closing it).
        resumeReading()
        // `closed`: the sink may have abandoned the connection while it took the head.
        if reusable && !closed && requestComplete && responseKeepAlive { pool.release(self) } else { closeNow() }
        sink?.upstreamResponseEnd()
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        sink?.upstreamReadComplete()
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        sink?.upstreamWritabilityChanged(isWritable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        if case .body(.untilClose) = state {
            // The close is this body's end.
            responseKeepAlive = false
            finishResponse(reusable: false)
        } else {
            let started: Bool
            if case .body = state { started = true } else { started = false }
            fail(.connectionLost(responseStarted: started))
        }
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        let started: Bool
        if case .body = state { started = true } else { started = false }
        if !started && requestsServed <= 1 && (error is NIOSSLError || error is BoringSSLError) {
            // A failed TLS handshake (an untrusted or misnamed certificate): no request reached the upstream.
            fail(.connectFailed("TLS: \(error)"))
        } else {
            fail(.connectionLost(responseStarted: started))
        }
        closeNow()
    }

    private func fail(_ error: UpstreamError) {
        let sink = self.sink
        self.sink = nil
        state = .idle
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
