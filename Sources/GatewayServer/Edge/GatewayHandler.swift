import GatewayCore
import GatewayIntegrations
import NIOCore
import NIOHTTP1

/// One client connection (HTTP/1.x) or one HTTP/2 stream: reads, the pipelining queue, back-pressure, keep-alive,
/// lingering close and drain. Each request is an `Exchange` (GatewayHandler+Exchange.swift) run through the
/// pipeline synchronously on the connection's event loop, with the loop's own upstream pools (no locks, no
/// future hops, no async).
///
/// Pipelining is handled here (requests queue behind the current exchange) rather than by NIO's pipeline
/// handler, which measured 6 % slower for a proxy. An exchange is over when both the request has been read
/// to its end and the response has been written to its end.
///
/// On HTTP/2 one handler serves one stream (behind `HTTP2StreamCodec`): the same request path,
/// with responses written as `HTTPServerResponsePart`s instead of bytes and no connection-level state.
final class GatewayHandler: ChannelDuplexHandler, LoopTimerTarget, DrainableConnection {
    typealias InboundIn = HTTPServerRequestPart
    /// Responses are written as serialised bytes (see `ResponseWriter`): no NIO response encoder, so a
    /// proxied response is spliced from the upstream's bytes instead of being decoded and re-encoded.
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let loop: LoopState
    /// The connection's header/idle timers; nil on an HTTP/2 stream, whose connection counts streams instead.
    let timeouts: ConnectionTimeoutHandler?
    /// The HTTP/2 connection this stream belongs to; nil on HTTP/1.x.
    let http2: HTTP2ConnectionHandler?
    let client: ClientConnection
    var context: ChannelHandlerContext!
    /// HTTP/1.x: the connection's request decoder, restarted after a request that offered an upgrade; nil on h2.
    private let requestDecoder: RestartableRequestDecoder?
    /// The request the decoder is reading carried `Upgrade` (see `RestartableRequestDecoder`).
    private var decodingUpgradeOffer = false
    /// The decoder has delivered a head and not yet that request's end: another head now would mean it lost sync.
    private var decodingMessage = false
    /// HTTP/2: a request head waits for the rest of its read batch, since only then is it known whether a body
    /// follows (HEADERS with END_STREAM arrives as head and end together; h2 needs no Content-Length).
    private var heldHead: HTTPRequestHead?
    /// HTTP/2: the client ended its side of the stream (END_STREAM), so nothing more will arrive on it.
    var streamInputEnded = false

    // MARK: connection state

    private var queue = CircularBuffer<HTTPServerRequestPart>()
    /// Pipelined parts queued behind the current exchange before the client stops being read (more may arrive
    /// from the read in progress, which is bounded by the read size).
    private static let maxQueuedParts = 128
    /// Body bytes queued with those parts: pipelined uploads behind a slow exchange stop being read past this.
    private static let maxQueuedBytes = 256 * 1024
    private var queuedBytes = 0
    var closeAfterResponse = false
    /// After a response that leaves request bytes unread (413, 400), input is drained and dropped until the
    /// client closes: closing with unread data makes the kernel send RST, which can destroy the response.
    private(set) var lingering = false
    private static let lingerTimeout: Duration = .seconds(5)
    /// How long a client has to finish sending a body the gateway answered early (404, mock, early upstream
    /// answer) and keep its connection: the rest is read and dropped, then the connection closes.
    private static let owedBodyTimeout: Duration = .seconds(5)
    var closed = false
    private var inputClosed = false
    private var clientReadPaused = false
    private var pendingClientRead = false

    // MARK: the exchange

    /// An exchange is in progress (request not fully read, or response not fully written).
    var busy = false
    var exchange = Exchange()
    /// The integration session of an earlier exchange, offered for reuse (see `EdgeIntegration.start`).
    var spareSession: (any IntegrationSession)?
    /// Timer token: bumped per exchange and per re-arm, so a stale timer entry is recognised and dropped.
    var generation: UInt64 = 0
    /// A route, body or linger timer is armed for `generation`; answering disarms it.
    var timeoutArmed = false

    init(loop: LoopState, timeouts: ConnectionTimeoutHandler?, peer: IPAddress, forwardedProto: String = "http",
         presentedNames: [String]? = nil, http2: HTTP2ConnectionHandler? = nil,
         requestDecoder: RestartableRequestDecoder? = nil) {
        self.loop = loop
        self.requestDecoder = requestDecoder
        self.http2 = http2
        self.timeouts = timeouts
        self.client = ClientConnection(peer: peer, peerText: peer.description, forwardedProto: forwardedProto,
                                       presentedNames: presentedNames)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if let http2 {
            http2.streamOpened()
            return
        }
        loop.connections[ObjectIdentifier(self)] = self
        loop.metrics.connectionsActive.increment(by: 1)
    }

    /// A channel closed before it ever became active (accepted as the listener closed) gets no
    /// `channelInactive`; without this it stayed in `loop.connections` and held a drain to its deadline.
    func handlerRemoved(context: ChannelHandlerContext) {
        closed = true
        // The context holds this handler strongly, and an integration session holds it as its host: kept, every
        // connection and HTTP/2 stream would leak as a cycle.
        defer {
            self.context = nil
            spareSession = nil
            exchange = Exchange()
        }
        if let http2 {
            http2.streamClosed()
            return
        }
        if loop.connections.removeValue(forKey: ObjectIdentifier(self)) != nil {
            loop.metrics.connectionsActive.decrement(by: 1)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        if http2 == nil, loop.connections.removeValue(forKey: ObjectIdentifier(self)) != nil {
            loop.metrics.connectionsActive.decrement(by: 1)
        }
        if busy && !exchange.responseEnded { handOffCacheFill() }
        detachIntegration()
        if busy && !exchange.responseEnded {
            // The client went away mid-exchange; nginx's 499 convention makes this visible in logs.
            if exchange.status == 0 || !exchange.response.headSent { exchange.status = 499 }
            finishExchange()
        }
        context.fireChannelInactive()
    }

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if http2 != nil {
            readStreamPart(part)
            return
        }
        switch part {
        case .head(let head):
            guard !decodingMessage else {
                context.close(promise: nil)  // never expected from NIO's decoder: fail closed rather than guess
                return
            }
            decodingMessage = true
            decodingUpgradeOffer = RestartableRequestDecoder.mayStopParsing(after: head)
        case .end:
            decodingMessage = false
            if decodingUpgradeOffer {
                decodingUpgradeOffer = false
                requestDecoder?.restartAfterCurrentMessage()
            }
        case .body:
            break
        }
        if lingering || (closeAfterResponse && !busy) { return }
        if !queue.isEmpty || (busy && exchange.requestEnded) {
            // Counted by the storage a part keeps alive (a slice holds its whole read buffer), not its length.
            if case .body(let buffer) = part { queuedBytes += buffer.storageCapacity }
            queue.append(part)
            return
        }
        process(part)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let head = heldHead {
            heldHead = nil
            startExchange(head, bodyFollows: true)
        }
        if busy && !exchange.requestEnded { exchange.session?.flushRequest() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputClosed = true
            if http2 != nil { return }  // a stream's request end; the stream closes itself after the response
            if lingering {
                context.close(promise: nil)
                return
            }
            if !busy && queue.isEmpty { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if lingering && error is HTTPParserError { return }  // bytes of the abandoned request
        guard let parserError = error as? HTTPParserError else {
            context.close(promise: nil)
            return
        }
        let code: GatewayErrorCode = parserError == .headerOverflow ? .requestHeadersTooLarge : .badRequest
        let detail = parserError == .headerOverflow
            ? "request head exceeds the \(loop.snapshot.settings.limits.maxHeaderSize)-byte limit"
            : "malformed HTTP request (\(parserError))"
        if !busy {
            beginExchange(method: .GET, version: .http1_1, keepAlive: false)
            exchange.logPath = "-"
            respondProblem(code, detail, close: true)
        } else if !exchange.response.headSent {
            detachIntegration()
            respondProblem(code, detail, close: true)
        } else {
            context.close(promise: nil)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        exchange.session?.clientWritabilityChanged(isWritable: writable)
        if writable { resumeClientReadsIfAllowed() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if mayReadClient { context.read() } else { pendingClientRead = true }
    }

    /// Back-pressure: the client is not read while the upstream cannot take more body, while pipelined requests
    /// pile up behind the current exchange, or while responses pile up unsent (a client that sends and never
    /// reads), so what one connection holds in memory stays bounded. A lingering close always reads (and drops).
    private var mayReadClient: Bool {
        if lingering { return true }
        if clientReadPaused { return false }
        // The current request's own body is always read (forwarded, validated or dropped); only input beyond it
        // waits for the client to take its responses. (While it is unfinished, nothing is queued.)
        if busy && !exchange.requestEnded { return true }
        return queue.count < Self.maxQueuedParts && queuedBytes < Self.maxQueuedBytes
            && (http2 != nil || context.channel.isWritable)
    }

    func pauseClientReads() { clientReadPaused = true }

    func resumeClientReads() {
        guard clientReadPaused else { return }
        clientReadPaused = false
        resumeClientReadsIfAllowed()
    }

    private func resumeClientReadsIfAllowed() {
        guard pendingClientRead, mayReadClient else { return }
        pendingClientRead = false
        context.read()
    }

    /// HTTP/2 stream parts: one request per stream, so no pipelining queue; see `heldHead`.
    private func readStreamPart(_ part: HTTPServerRequestPart) {
        if case .end = part { streamInputEnded = true }
        if case .head(var head) = part {
            // h2 clients may split Cookie into one field per cookie (RFC 9113 §8.2.3); an HTTP/1.1 upstream
            // expects a single field, so they are joined back as the RFC requires.
            let cookies = head.headers["cookie"]
            if cookies.count > 1 { head.headers.replaceOrAdd(name: "cookie", value: cookies.joined(separator: "; ")) }
            heldHead = head
            return
        }
        if let head = heldHead {
            heldHead = nil
            if case .body = part { startExchange(head, bodyFollows: true) } else { startExchange(head, bodyFollows: false) }
        }
        process(part)
    }

    // MARK: timers, the end of a response, lingering

    func loopTimerFired(generation: UInt64) {
        guard timeoutArmed, generation == self.generation else { return }
        if lingering || (busy && exchange.responseEnded && !exchange.requestEnded) {
            // A lingering close ran out, or the body owed after an early answer never came.
            forceClose()
            return
        }
        exchangeTimedOut()
    }

    func loopTimerIsLive(generation: UInt64) -> Bool {
        timeoutArmed && generation == self.generation
    }

    /// Arms the one exchange timer (route timeout, body read, owed body or linger) for a new generation.
    func armTimer(after duration: Duration, newGeneration: Bool = false) {
        if newGeneration { generation &+= 1 }
        timeoutArmed = true
        loop.timers.arm(self, generation: generation, after: duration.nanoseconds)
    }

    /// The response is complete: flush it and either keep the connection for the next request, or close it
    /// (after the client's remaining input has been drained, when it may still be sending).
    func writeEnd() {
        exchange.responseEnded = true
        releaseHeldResponseHead()
        if http2 != nil {
            let flushed = context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
            if !streamInputEnded {
                // The rest of the request is not wanted (413, an early upstream answer): reset the stream once the
                // response is out, as RFC 9113 §8.1 allows, instead of reading a body nobody will use.
                exchange.requestEnded = true
                let channel = context.channel
                flushed.whenComplete { _ in channel.close(promise: nil) }
            }
            finishIfDone()
            return
        }
        if closeAfterResponse {
            // An empty write completes once everything before it is on the wire.
            let flushed = context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)))
            if exchange.requestEnded {
                let channel = context.channel
                flushed.whenComplete { _ in channel.close(promise: nil) }
            } else {
                // The client may still be sending this request: half-close, then drain until it closes.
                let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
                flushed.whenComplete { result in
                    let handler = loopBound.value
                    if case .success = result { handler.startLingering() } else { handler.forceClose() }
                }
                exchange.requestEnded = true
            }
        } else {
            context.flush()
            if !exchange.requestEnded { awaitOwedBody() }
        }
        finishIfDone()
    }

    /// What the response writer produced, written once the exchange is no longer being modified (a write can
    /// re-enter this handler).
    func send(_ writes: consuming ResponseWriter.Writes) {
        // Taken, not bound with `if let`: copying an optional `NIOAny` goes through the runtime's value witnesses.
        if let first = writes.first.take() { context.write(first, promise: nil) }
        if let second = writes.second.take() { context.write(second, promise: nil) }
    }

    func releaseHeldResponseHead() {
        if let head = exchange.response.releaseHeldHead(closeAfterResponse: &closeAfterResponse) {
            context.write(head, promise: nil)
        }
    }

    /// The answer went out before the request's body ended: the rest is read and dropped so the connection can
    /// carry the next request, within `owedBodyTimeout` (then the connection is closed).
    private func awaitOwedBody() {
        exchange.bodySink = .discard
        exchange.collectedBody = nil
        // A new timer generation: the route timer still armed for this exchange must not cut the owed body short.
        armTimer(after: Self.owedBodyTimeout, newGeneration: true)
        // Reads may have been paused for an upstream that no longer takes the body.
        clientReadPaused = false
        resumeClientReadsIfAllowed()
    }

    private func startLingering() {
        guard !closed else { return }
        lingering = true
        clientReadPaused = false
        context.close(mode: .output, promise: nil)
        if inputClosed {
            context.close(promise: nil)
            return
        }
        armTimer(after: Self.lingerTimeout, newGeneration: true)
        context.read()
    }

    func finishIfDone() {
        guard busy, exchange.requestEnded, exchange.responseEnded else { return }
        finishExchange()
        if closed || closeAfterResponse || http2 != nil { return }
        timeouts?.exchangeFinished(nextRequestQueued: !queue.isEmpty)
        // Feed queued parts until the next exchange has its whole request (head, body and end), not just
        // its head: stopping at the head left a pipelined request's `.end` queued and its upstream unflushed.
        // A queued request answered with `Connection: close` (a 400, say) ends the connection: nothing queued
        // behind it may start, let alone reach an upstream.
        while !closeAfterResponse, !lingering, !(busy && exchange.requestEnded), let next = queue.popFirst() {
            if case .body(let buffer) = next { queuedBytes -= buffer.storageCapacity }
            process(next)
        }
        if closeAfterResponse || lingering { return }
        resumeClientReadsIfAllowed()
        if !busy && (inputClosed || loop.draining) {
            context.close(promise: nil)
        }
    }

    // MARK: drain

    /// Called on this loop when the gateway starts draining: idle connections close now, busy ones after
    /// their current response.
    func drain() {
        if !busy && queue.isEmpty {
            context.close(promise: nil)
        } else {
            exchange.keepAlive = false
        }
    }

    /// End of the drain deadline: whatever is still open is cut.
    func forceClose() {
        if !closed { context.close(promise: nil) }
    }
}
