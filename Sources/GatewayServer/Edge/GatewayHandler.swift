import GatewayCore
import GatewayIntegrations
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#endif

/// The per-connection request path: identity, routing, then the route's integration, all synchronously on
/// the connection's event loop with the loop's own upstream pools (no locks, no future hops, no async).
///
/// Pipelining is handled here (requests queue behind the current exchange) rather than by NIO's pipeline
/// handler, which measured 6 % slower for a proxy. An exchange is over when both the request has been read
/// to its end and the response has been written to its end.
///
/// On HTTP/2 one handler serves one stream (behind NIO's HTTP/2-to-HTTP/1 codec): the same request path,
/// with responses written as `HTTPServerResponsePart`s instead of bytes and no connection-level state.
final class GatewayHandler: ChannelDuplexHandler, UpstreamResponseSink, LoopTimerTarget, DrainableConnection {
    typealias InboundIn = HTTPServerRequestPart
    /// Responses are written as serialised bytes (see `ResponseHeadWriter`): no NIO response encoder, so a
    /// proxied response is spliced from the upstream's bytes instead of being decoded and re-encoded.
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Where request body bytes go: to the integration, nowhere, or into `validationBody` until the body's
    /// schema has passed (then to the integration).
    private enum BodyDisposition { case forward, discard, validate }

    /// An integration held back while the body is read and validated; started once it passes.
    private struct DeferredDispatch {
        let route: CompiledRoute
        let head: HTTPRequestHead
        let path: Substring
        let query: Substring?
        let parameters: PathParameters
        let framing: RequestHeadValidator.BodyFraming
    }

    private let loop: LoopState
    /// The connection's header/idle timers; nil on an HTTP/2 stream, whose connection counts streams instead.
    private let timeouts: ConnectionTimeoutHandler?
    /// The HTTP/2 connection this stream belongs to; nil on HTTP/1.x.
    private let http2: HTTP2ConnectionHandler?
    private let peer: IPAddress
    private let peerText: String
    /// "http" or "https": the listener this connection came in on, for `X-Forwarded-Proto`.
    private let forwardedProto: String
    /// On TLS connections, the names the presented certificate covers: a request for any other host is
    /// misdirected (421), so one connection cannot be used to reach a domain its certificate does not vouch for.
    private let presentedNames: [String]?
    private var context: ChannelHandlerContext!
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
    private var streamInputEnded = false

    // Connection state.
    private var queue = CircularBuffer<HTTPServerRequestPart>()
    /// Pipelined parts queued behind the current exchange before the client stops being read (more may arrive
    /// from the read in progress, which is bounded by the read size).
    private static let maxQueuedParts = 128
    /// Body bytes queued with those parts: pipelined uploads behind a slow exchange stop being read past this.
    private static let maxQueuedBytes = 256 * 1024
    private var queuedBytes = 0
    private var closeAfterResponse = false
    /// After a response that leaves request bytes unread (413, 400), input is drained and dropped until the
    /// client closes: closing with unread data makes the kernel send RST, which can destroy the response.
    private var lingering = false
    private static let lingerTimeout: Duration = .seconds(5)
    /// How long a client has to finish sending a body the gateway answered early (404, mock, early upstream
    /// answer) and keep its connection: the rest is read and dropped, then the connection closes.
    private static let owedBodyTimeout: Duration = .seconds(5)
    private var closed = false
    private var inputClosed = false
    private var clientReadPaused = false
    private var pendingClientRead = false

    // Exchange state (one request at a time).
    private var busy = false
    private var generation: UInt64 = 0
    private var requestEnded = false
    private var responseEnded = false
    private var startNanos: UInt64 = 0
    private var requestId = ""
    private var method = HTTPMethod.GET
    private var version = HTTPVersion.http1_1
    private var keepAlive = true
    private var snapshot: GatewaySnapshot?
    private var apiIndex = -1
    private var routeIndex = -1
    private var host: Substring?
    /// The request path for logs and problem details; a slice of the request's own URI, copied only if logged.
    private var logPath: Substring = ""
    private var clientIP: IPAddress
    private var bodyBytes = 0
    private var maxBodySize = 0
    private var disposition = BodyDisposition.discard
    private var requestHasBody = false
    private var responseHeadSent = false
    /// An HTTP/1.1 proxied response head not yet written: held until the body's first bytes (or the end of the
    /// upstream read) so head and a small body leave in one write, which over TLS is one record instead of two.
    private var heldResponseHead: ByteBuffer?
    /// Whether the held head announced `Connection: close`; it takes effect once the head is written. Until then
    /// the gateway may still answer with a problem instead (the upstream failed before any byte reached the client).
    private var heldResponseHeadCloses = false
    private static let maxCoalescedBodyBytes = 16 * 1024
    private var status = 0
    private var responseBytes = 0
    private var errorCode: GatewayErrorCode?
    private var integrationStartNanos: UInt64 = 0
    private var integrationEndNanos: UInt64 = 0
    private var validationBody: ByteBuffer?
    private var deferredDispatch: DeferredDispatch?
    /// The route timeout is armed for this exchange `generation`; `finishExchange` disarms it.
    private var timeoutArmed = false

    // Upstream forwarding state.
    private var integration: HTTPIntegration?
    private var upstream: UpstreamConnection?
    /// Serialised per connection attempt (`upstreamConnected`), so a retry to another target re-serialises.
    private var upstreamHead: UpstreamRequestHead?
    /// Request body read before an upstream connection was ready; the end is `requestEnded`.
    private var pendingBodies: [ByteBuffer] = []
    private var pendingBytes = 0
    private var waiting: (pool: UpstreamPool, id: UInt64)?
    private var targetAttempts = 0
    private var targetIndex = 0
    private var staleRetryUsed = false

    init(loop: LoopState, timeouts: ConnectionTimeoutHandler?, peer: IPAddress, forwardedProto: String = "http",
         presentedNames: [String]? = nil, http2: HTTP2ConnectionHandler? = nil,
         requestDecoder: RestartableRequestDecoder? = nil) {
        self.loop = loop
        self.requestDecoder = requestDecoder
        self.http2 = http2
        self.forwardedProto = forwardedProto
        self.presentedNames = presentedNames
        self.timeouts = timeouts
        self.peer = peer
        self.peerText = peer.description
        self.clientIP = peer
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
        // The context holds this handler strongly: kept, every connection and HTTP/2 stream would leak as a cycle.
        defer { self.context = nil }
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
        detachUpstream()
        if busy && !responseEnded {
            // The client went away mid-exchange; nginx's 499 convention makes this visible in logs.
            if status == 0 || !responseHeadSent { status = 499 }
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
        if !queue.isEmpty || (busy && requestEnded) {
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
        if busy && !requestEnded, let upstream { upstream.flush() }
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
            logPath = "-"
            respondProblem(code, detail, close: true)
        } else if !responseHeadSent {
            detachUpstream()
            respondProblem(code, detail, close: true)
        } else {
            context.close(promise: nil)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            upstream?.resumeReading()
            resumeClientReadsIfAllowed()
        } else {
            upstream?.pauseReading()
        }
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
        if busy && !requestEnded { return true }
        return queue.count < Self.maxQueuedParts && queuedBytes < Self.maxQueuedBytes
            && (http2 != nil || context.channel.isWritable)
    }

    private func pauseClientReads() { clientReadPaused = true }

    private func resumeClientReads() {
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

    private func process(_ part: HTTPServerRequestPart) {
        switch part {
        case .head(let head):
            startExchange(head)
        case .body(let buffer):
            guard busy, !requestEnded else { return }
            bodyBytes += buffer.readableBytes
            if bodyBytes > maxBodySize {
                bodyTooLarge()
                return
            }
            if disposition == .validate {
                // A body that arrives in one read (the usual case) is kept as it came, without a copy.
                if validationBody == nil { validationBody = buffer } else { validationBody!.writeImmutableBuffer(buffer) }
                return
            }
            guard disposition == .forward else { return }
            if let upstream {
                upstream.writeBody(buffer)
            } else {
                pendingBodies.append(buffer)
                pendingBytes += buffer.readableBytes
                if pendingBytes > 256 * 1024 { pauseClientReads() }
            }
        case .end:
            guard busy, !requestEnded else { return }
            requestEnded = true
            if disposition == .validate {
                validateBodyThenDispatch()
                return
            }
            if disposition == .forward, let upstream { upstream.writeEnd(flush: true) }
            finishIfDone()
        }
    }

    // MARK: the request pipeline

    private func beginExchange(method: HTTPMethod, version: HTTPVersion, keepAlive: Bool) {
        busy = true
        generation &+= 1
        // Bodies belong to one exchange: a previous one's leftovers must never reach this one's upstream.
        pendingBodies.removeAll()
        pendingBytes = 0
        heldResponseHead = nil
        requestEnded = false
        responseEnded = false
        responseHeadSent = false
        startNanos = NIODeadline.now().uptimeNanoseconds
        self.method = method
        self.version = version
        self.keepAlive = keepAlive && !loop.draining
        snapshot = loop.snapshot
        apiIndex = -1
        routeIndex = -1
        host = nil
        clientIP = peer
        bodyBytes = 0
        maxBodySize = loop.snapshot.settings.limits.maxBodySize
        disposition = .discard
        requestHasBody = false
        status = 0
        responseBytes = 0
        errorCode = nil
        integrationStartNanos = 0
        integrationEndNanos = 0
        integration = nil
        validationBody = nil
        deferredDispatch = nil
        upstreamHead = nil
        staleRetryUsed = false
        requestId = loop.requestIDs.next()
    }

    /// `bodyFollows` is known on HTTP/2 only: a request body without Content-Length is forwarded chunked.
    private func startExchange(_ head: HTTPRequestHead, bodyFollows: Bool? = nil) {
        timeouts?.headReceived()
        beginExchange(method: head.method, version: head.version, keepAlive: head.isKeepAlive)
        let snapshot = self.snapshot!
        let settings = snapshot.settings

        let accepted: RequestHeadValidator.Accepted
        switch RequestHeadValidator.validate(head) {
        case .failure(let rejection):
            if let incoming = head.headers.first(name: "x-request-id"), RequestID.isValidIncoming(Substring(incoming)) {
                requestId = incoming
            }
            logPath = Substring(head.uri).prefix(256)
            respondProblem(rejection.code, rejection.detail, close: true)
            return
        case .success(let value):
            accepted = value
        }
        if let incoming = accepted.requestId, RequestID.isValidIncoming(Substring(incoming)) {
            requestId = incoming
        }
        host = accepted.host
        var framing = accepted.framing
        if bodyFollows == true, framing == .none, !head.headers.contains(name: "content-length") {
            framing = .chunked
        }
        let target = accepted.target
        let queryStart = target.utf8.firstIndex(of: UInt8(ascii: "?"))
        let path = queryStart.map { target[..<$0] } ?? target
        let query = queryStart.map { target[target.index(after: $0)...] }
        logPath = path
        requestHasBody = framing != .none
        // Routing and the upstream see the normalised path, so a dot segment or an escape cannot name one route
        // to the gateway and another to the upstream; the log keeps what the client sent.
        var routedPath = path
        switch RequestPath.normalize(path) {
        case .success(nil):
            break
        case .success(let normalized?):
            routedPath = Substring(normalized)
        case .failure(let rejection):
            respondProblem(.badRequest, rejection.detail, close: true)
            return
        }

        if !settings.trustedProxies.isEmpty {
            let forwarded = head.headers["x-forwarded-for"]
            if !forwarded.isEmpty {
                clientIP = ClientIPResolver.clientIP(peer: peer, forwardedFor: forwarded.map { Substring($0) },
                                                     trusted: settings.trustedProxies)
            }
        }

        if let presentedNames, let hostHeader = accepted.host,
           !CertificateSelector.covers(presentedNames, host: Self.hostname(of: hostHeader)) {
            respondProblem(.misdirectedRequest,
                           "this connection's certificate does not cover \(Self.hostname(of: hostHeader)); open a new connection for that host",
                           close: false)
            return
        }

        // Routing: host → domain → base path → API(s) → route.
        guard let resolution = snapshot.hostRouter.resolve(host: accepted.host, path: routedPath) else {
            respondProblem(.resourceNotFound, "no API is mapped at \(logPath)", close: false)
            return
        }
        var allowed: [String] = []
        var found: (api: Int, route: Int, parameters: PathParameters)?
        for api in resolution.apis {
            switch snapshot.apis[api].routeTable.match(method: Substring(head.method.rawValue), path: resolution.remainingPath) {
            case .matched(let route, let parameters):
                found = (api, route, parameters)
            case .methodNotAllowed(let allow):
                allowed.append(contentsOf: allow)
            case .notFound:
                break
            }
            if found != nil { break }
        }
        guard let found else {
            if allowed.isEmpty {
                respondProblem(.resourceNotFound, "no route matches \(head.method.rawValue) \(logPath)", close: false)
            } else {
                var unique: [String] = []
                for method in allowed where !unique.contains(method) { unique.append(method) }
                respondProblem(.methodNotAllowed, "\(head.method.rawValue) is not allowed on \(logPath)", close: false,
                               extraHeaders: [("allow", unique.joined(separator: ", "))])
            }
            return
        }
        apiIndex = found.api
        routeIndex = found.route
        let route = snapshot.apis[found.api].routes[found.route]

        if case .contentLength(let length) = framing, length > maxBodySize {
            respondProblem(.requestTooLarge, "request body of \(length) bytes exceeds the \(maxBodySize)-byte limit",
                           close: true)
            return
        }
        if let validation = route.validation {
            if !validation.parameters.isEmpty {
                let headers = head.headers
                if let nominated = ForwardingHeaders.connectionNominated(headers),
                   let check = validation.parameters.first(where: { check in
                       check.location == .header && nominated.contains { $0.equalsASCIICaseInsensitive(check.name) }
                   }) {
                    respondProblem(.badRequest,
                                   "Connection must not nominate \(check.name), which this route validates", close: true)
                    return
                }
                let verdict = RequestValidator.checkParameters(validation, path: found.parameters, query: QueryParameters(query)) { name in
                    let values = headers[name]
                    return values.isEmpty ? nil : values.joined(separator: ", ")
                }
                if !verdict.isValid {
                    respondInvalid(.badRequestParameters, "the request's parameters are invalid", verdict)
                    return
                }
            }
            if validation.body != nil {
                guard requestHasBody else {
                    respondProblem(.badRequestBody, "this route requires a JSON request body", close: false)
                    return
                }
                guard let contentType = head.headers.first(name: "content-type"), MediaType.isJSON(Substring(contentType)) else {
                    respondProblem(.unsupportedMediaType,
                                   "the request body must be JSON (application/json or a +json media type)", close: true)
                    return
                }
            }
        }
        if let expect = accepted.expect {
            guard expect.trimmingASCIIWhitespace().equalsASCIICaseInsensitive("100-continue") else {
                respondProblem(.badRequest, "unsupported Expect value", close: true, status: 417)
                return
            }
            if http2 != nil {
                let interim = HTTPResponseHead(version: .http2, status: .continue)
                context.writeAndFlush(NIOAny(HTTPServerResponsePart.head(interim)), promise: nil)
            } else if head.version.minor >= 1 {
                var interim = context.channel.allocator.buffer(capacity: 25)
                interim.writeStaticString("HTTP/1.1 100 Continue\r\n\r\n")
                context.writeAndFlush(wrapOutboundOut(interim), promise: nil)
            }
        }

        let dispatch = DeferredDispatch(route: route, head: head, path: resolution.remainingPath, query: query,
                                        parameters: found.parameters, framing: framing)
        if route.validation?.body != nil {
            // Read the whole body (bounded by maxBodySize) before anything reaches the integration; the route
            // timeout bounds how long a client may take to send it.
            disposition = .validate
            deferredDispatch = dispatch
            timeoutArmed = true
            loop.timers.arm(self, generation: generation, after: route.timeout.nanoseconds)
            return
        }
        startIntegration(dispatch)
    }

    private func startIntegration(_ dispatch: DeferredDispatch) {
        switch dispatch.route.integration {
        case .mock(let mock):
            respondMock(mock)
        case .http(let http):
            startForwarding(http, head: dispatch.head, path: dispatch.path, query: dispatch.query,
                            parameters: dispatch.parameters, framing: dispatch.framing, timeout: dispatch.route.timeout)
        }
    }

    /// The body has fully arrived: parse and check it, then either answer 400 or start the integration with it.
    private func validateBodyThenDispatch() {
        guard let dispatch = deferredDispatch, let schema = dispatch.route.validation?.body else { return }
        let body = validationBody ?? context.channel.allocator.buffer(capacity: 0)
        deferredDispatch = nil
        validationBody = nil
        timeoutArmed = false
        let maxErrors = dispatch.route.validation?.maxErrors ?? RouteValidation.defaultMaxErrors
        let outcome = body.withUnsafeReadableBytes { bytes in
            RequestValidator.checkBody(schema, bytes: bytes, maxErrors: maxErrors)
        }
        switch outcome {
        case .unparsable(let reason):
            disposition = .discard
            respondProblem(.badRequestBody, "the request body is not valid JSON: \(reason)", close: false)
        case .invalid(let verdict):
            disposition = .discard
            respondInvalid(.badRequestBody, "the request body does not match the route's schema", verdict)
        case .valid:
            disposition = .forward
            // Queued before the integration starts, so a pooled connection takes head and body in one write (one
            // syscall, one upstream wake-up) rather than the head first and the body after.
            pendingBodies.append(body)
            let exchange = generation
            startIntegration(dispatch)
            // A mock answers at once and may already have started the next pipelined exchange: its state is not ours.
            if generation == exchange, disposition != .forward || responseEnded { pendingBodies.removeAll() }
        }
    }

    private func respondInvalid(_ code: GatewayErrorCode, _ detail: String, _ verdict: RequestValidator.Verdict) {
        respondProblem(code, detail, close: !requestEnded && requestHasBody,
                       extensions: ValidationViolation.problemExtensions(verdict.violations, truncated: verdict.truncated))
    }

    // MARK: http integration

    private func startForwarding(_ http: HTTPIntegration, head: HTTPRequestHead, path: Substring, query: Substring?,
                                 parameters: PathParameters, framing: RequestHeadValidator.BodyFraming,
                                 timeout: Duration) {
        disposition = .forward
        integration = http
        integrationStartNanos = NIODeadline.now().uptimeNanoseconds
        let settings = snapshot!.settings
        targetIndex = loop.roundRobin % http.targets.count
        loop.roundRobin &+= 1
        targetAttempts = 0

        let target = http.targets[targetIndex]
        let upstreamPath: Substring
        if let template = http.pathTemplate {
            upstreamPath = Substring(template.render(parameters))
        } else {
            upstreamPath = path == "/" ? "" : path
        }
        let forwardedFor = settings.trustedProxies.isEmpty ? peerText : ClientIPResolver.upstreamForwardedFor(
            peer: peer, incoming: head.headers["x-forwarded-for"].map { Substring($0) }, trusted: settings.trustedProxies)
        upstreamHead = UpstreamRequestHead(
            method: head.method, path: upstreamPath, query: query, clientHeaders: head.headers,
            forwarding: .init(forwardedFor: forwardedFor, forwardedProto: forwardedProto, forwardedHost: host,
                              requestId: requestId, chunkedBody: framing == .chunked))

        timeoutArmed = true
        loop.timers.arm(self, generation: generation, after: timeout.nanoseconds)
        acquireUpstream(target)
    }

    private func acquireUpstream(_ target: UpstreamTarget) {
        let pool = loop.pool(for: target)
        let generation = self.generation
        let id = pool.acquire { [self] result in
            guard self.generation == generation, self.busy, !self.closed, self.upstream == nil,
                  self.disposition == .forward, !self.responseHeadSent else {
                if case .success(let connection) = result { connection.recycle() }
                return
            }
            self.waiting = nil
            switch result {
            case .success(let connection):
                self.upstreamConnected(connection, target: target)
            case .failure(let error):
                self.upstreamFailed(error)
            }
        }
        if let id { waiting = (pool, id) }
    }

    /// Writes the head for this connection's target, then whatever of the request arrived meanwhile.
    private func upstreamConnected(_ connection: UpstreamConnection, target: UpstreamTarget) {
        upstream = connection
        if !context.channel.isWritable { connection.pauseReading() }
        let request = upstreamHead!
        var head = connection.channel.allocator.buffer(capacity: 512)
        request.write(to: &head, target: target)
        // HTTP/1.0 and HTTP/2 clients take the body bare: h2 frames it, 1.0 ends it with the close.
        connection.start(head: head, isHeadRequest: request.method == .HEAD, chunkedBody: request.chunkedBody,
                         sink: self, dechunk: isHTTP10 || http2 != nil)
        let hadBodies = !pendingBodies.isEmpty
        if hadBodies {
            var bodies: [ByteBuffer] = []
            swap(&bodies, &pendingBodies)
            pendingBytes = 0
            for body in bodies { connection.writeBody(body) }
        }
        // Also after a retry: the request's end may have been written to the connection that failed.
        if requestEnded {
            connection.writeEnd(flush: true)
        } else {
            // The head goes out now even when no body byte has arrived yet: the upstream may answer early.
            connection.flush()
        }
        if hadBodies { resumeClientReads() }
    }

    func upstreamResponseHead(_ head: UpstreamResponseHead) {
        guard busy, !responseEnded else { return }
        status = head.status
        if http2 != nil {
            responseHeadSent = true
            let headers = ResponseHeadWriter.proxiedHeaders(upstream: head, requestId: requestId)
            let part = HTTPServerResponsePart.head(HTTPResponseHead(version: .http2, status: .init(statusCode: head.status),
                                                                    headers: headers))
            context.write(NIOAny(part), promise: nil)
            return
        }
        var close = !keepAlive || closeAfterResponse
        let http10 = isHTTP10
        switch head.framing {
        case .untilClose:
            close = true  // the client can only see the end of an unframed body by the close
        case .chunked where http10:
            close = true  // de-chunked for an HTTP/1.0 client, so its end is the close too
        default:
            break
        }
        heldResponseHeadCloses = close
        var buffer = context.channel.allocator.buffer(capacity: head.bytes.readableBytes + 64)
        ResponseHeadWriter.writeProxiedHead(&buffer, upstream: head, version: version, requestId: requestId,
                                            chunkedPassthrough: head.framing == .chunked && !http10, close: close,
                                            keepAlive10: http10 && !close)
        heldResponseHead = buffer
    }

    func upstreamResponseBody(_ body: ByteBuffer) {
        guard busy, !responseEnded else { return }
        responseBytes += body.readableBytes
        if http2 != nil {
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(body))), promise: nil)
        } else if heldResponseHead != nil, body.readableBytes <= Self.maxCoalescedBodyBytes,
                  var head = takeHeldResponseHead() {
            head.writeImmutableBuffer(body)
            context.write(wrapOutboundOut(head), promise: nil)
        } else {
            releaseHeldResponseHead()
            context.write(wrapOutboundOut(body), promise: nil)
        }
    }

    func upstreamReadComplete() {
        guard responseHeadSent || heldResponseHead != nil else { return }
        releaseHeldResponseHead()
        context.flush()
    }

    private func releaseHeldResponseHead() {
        guard let head = takeHeldResponseHead() else { return }
        context.write(wrapOutboundOut(head), promise: nil)
    }

    /// The held head, now committed to: from here on the response is the upstream's.
    private func takeHeldResponseHead() -> ByteBuffer? {
        guard let head = heldResponseHead else { return nil }
        heldResponseHead = nil
        responseHeadSent = true
        if heldResponseHeadCloses { closeAfterResponse = true }
        return head
    }

    func upstreamResponseEnd() {
        guard busy, !responseEnded else { return }
        upstream = nil
        integrationEndNanos = NIODeadline.now().uptimeNanoseconds
        if !requestEnded {
            // The upstream answered before the body ended; it is not reusable and the rest is discarded.
            disposition = .discard
        }
        writeEnd()
    }

    func upstreamFailed(_ error: UpstreamError) {
        guard busy, !responseEnded else { return }
        let failed = upstream
        upstream = nil
        // A head still held has not reached the client: drop it, so the client gets a 502 rather than a cut-off
        // response that looks like the upstream's.
        heldResponseHead = nil
        if responseHeadSent {
            // Part of the response is already with the client: the only honest signal left is a truncated close.
            errorCode = .integrationFailure
            closeAfterResponse = true
            context.close(promise: nil)
            return
        }
        if case .connectFailed = error, let integration, targetAttempts + 1 < integration.targets.count {
            targetAttempts += 1
            targetIndex = (targetIndex + 1) % integration.targets.count
            retarget(integration.targets[targetIndex])
            return
        }
        if case .connectionLost(responseStarted: false) = error, let failed, failed.requestsServed > 1,
           !requestHasBody, !staleRetryUsed, let integration {
            // A reused keep-alive connection the upstream had already closed: retry once, as nginx does.
            staleRetryUsed = true
            retarget(integration.targets[targetIndex])
            return
        }
        integrationEndNanos = NIODeadline.now().uptimeNanoseconds
        disposition = .discard
        pendingBodies.removeAll()
        pendingBytes = 0
        resumeClientReads()
        let detail: String
        switch error {
        case .connectFailed: detail = "could not connect to the upstream"
        case .connectionLost: detail = "the upstream closed the connection before responding"
        case .protocolError: detail = "the upstream sent an invalid HTTP response"
        }
        respondProblem(.integrationFailure, detail, close: !requestEnded)
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        if isWritable { resumeClientReads() } else { pauseClientReads() }
    }

    /// Another target, or the same one after a stale keep-alive: the head is re-serialised for it on connect.
    private func retarget(_ target: UpstreamTarget) {
        acquireUpstream(target)
    }

    func loopTimerFired(generation: UInt64) {
        guard timeoutArmed, generation == self.generation else { return }
        if lingering || (busy && responseEnded && !requestEnded) {
            // A lingering close ran out, or the body owed after an early answer never came.
            forceClose()
            return
        }
        integrationTimedOut()
    }

    /// The answer went out before the request's body ended: the rest is read and dropped so the connection can
    /// carry the next request, within `owedBodyTimeout` (then the connection is closed).
    private func awaitOwedBody() {
        disposition = .discard
        pendingBodies.removeAll()
        pendingBytes = 0
        // A new timer generation: the route timer still armed for this exchange must not cut the owed body short.
        generation &+= 1
        timeoutArmed = true
        loop.timers.arm(self, generation: generation, after: Self.owedBodyTimeout.nanoseconds)
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
        generation &+= 1
        timeoutArmed = true
        loop.timers.arm(self, generation: generation, after: Self.lingerTimeout.nanoseconds)
        context.read()
    }

    func loopTimerIsLive(generation: UInt64) -> Bool {
        timeoutArmed && generation == self.generation
    }

    private func integrationTimedOut() {
        guard busy, !responseEnded else { return }
        timeoutArmed = false
        if disposition == .validate {
            disposition = .discard
            validationBody = nil
            respondProblem(.badRequest, "the request body did not arrive within the route's timeout", close: true,
                           status: 408)
            return
        }
        detachUpstream()
        integrationEndNanos = NIODeadline.now().uptimeNanoseconds
        if responseHeadSent {
            errorCode = .integrationTimeout
            context.close(promise: nil)
            return
        }
        disposition = .discard
        pendingBodies.removeAll()
        pendingBytes = 0
        resumeClientReads()
        respondProblem(.integrationTimeout, "the integration did not respond in time", close: !requestEnded)
    }

    private func detachUpstream() {
        if let waiting {
            waiting.pool.cancel(waiter: waiting.id)
            self.waiting = nil
        }
        if let upstream {
            self.upstream = nil
            upstream.abandon()
        }
    }

    private func bodyTooLarge() {
        errorCode = .requestTooLarge
        requestEnded = true
        disposition = .discard
        if responseHeadSent {
            detachUpstream()
            context.close(promise: nil)
            return
        }
        detachUpstream()
        pendingBodies.removeAll()
        pendingBytes = 0
        respondProblem(.requestTooLarge, "request body exceeds the \(maxBodySize)-byte limit", close: true)
    }

    // MARK: responses made by the gateway

    private func respondMock(_ mock: MockIntegration) {
        writeResponse(status: mock.status, headers: mock.headers, contentType: nil, body: mock.body,
                      close: !keepAlive || closeAfterResponse)
    }

    private func respondProblem(_ code: GatewayErrorCode, _ detail: String, close: Bool, status: Int? = nil,
                                extraHeaders: [(name: String, value: String)] = [],
                                extensions: [(String, String)] = []) {
        errorCode = code
        let document = ProblemDocument(code: code, detail: detail, requestId: requestId, status: status,
                                       extensions: extensions)
        writeResponse(status: document.status, headers: extraHeaders, contentType: "application/problem+json",
                      body: document.encoded(), close: close || !keepAlive || closeAfterResponse)
    }

    /// Head and body serialised into one buffer and written with one flush: one `write` syscall.
    private func writeResponse(status: Int, headers: [(name: String, value: String)], contentType: String?,
                               body: [UInt8], close: Bool) {
        timeoutArmed = false
        heldResponseHead = nil  // a problem answered instead of an upstream head not yet written
        if close { closeAfterResponse = true }
        self.status = status
        responseHeadSent = true
        let sendsBody = method != .HEAD
        responseBytes = sendsBody ? body.count : 0
        if http2 != nil {
            writeStreamResponse(status: status, headers: headers, contentType: contentType, body: body, sendsBody: sendsBody)
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 160 + body.count + headers.count * 32)
        ResponseHeadWriter.writeStatusLine(&buffer, version: version, status: status)
        if let contentType { ResponseHeadWriter.writeHeader(&buffer, "content-type", contentType) }
        for (name, value) in headers { ResponseHeadWriter.writeHeader(&buffer, name, value) }
        buffer.writeStaticString("content-length: ")
        buffer.writeString(String(body.count))
        buffer.writeStaticString("\r\nx-request-id: ")
        buffer.writeString(requestId)
        buffer.writeStaticString("\r\n")
        if close {
            buffer.writeStaticString("connection: close\r\n")
        } else if isHTTP10 {
            buffer.writeStaticString("connection: keep-alive\r\n")
        }
        buffer.writeStaticString("\r\n")
        if sendsBody { buffer.writeBytes(body) }
        context.write(wrapOutboundOut(buffer), promise: nil)
        writeEnd()
    }

    /// The HTTP/2 form of `writeResponse`: the stream codec frames it; connection headers do not exist in h2.
    private func writeStreamResponse(status: Int, headers: [(name: String, value: String)], contentType: String?,
                                     body: [UInt8], sendsBody: Bool) {
        var fields = HTTPHeaders()
        fields.reserveCapacity(headers.count + 3)
        if let contentType { fields.add(name: "content-type", value: contentType) }
        for (name, value) in headers { fields.add(name: name, value: value) }
        fields.add(name: "content-length", value: String(body.count))
        fields.add(name: "x-request-id", value: requestId)
        let head = HTTPResponseHead(version: .http2, status: .init(statusCode: status), headers: fields)
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        if sendsBody && !body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
        }
        writeEnd()
    }

    private func writeEnd() {
        responseEnded = true
        releaseHeldResponseHead()
        if http2 != nil {
            let flushed = context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
            if !streamInputEnded {
                // The rest of the request is not wanted (413, an early upstream answer): reset the stream once the
                // response is out, as RFC 9113 §8.1 allows, instead of reading a body nobody will use.
                requestEnded = true
                let channel = context.channel
                flushed.whenComplete { _ in channel.close(promise: nil) }
            }
            finishIfDone()
            return
        }
        if closeAfterResponse {
            // An empty write completes once everything before it is on the wire.
            let flushed = context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)))
            if requestEnded {
                let channel = context.channel
                flushed.whenComplete { _ in channel.close(promise: nil) }
            } else {
                // The client may still be sending this request: half-close, then drain until it closes.
                let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
                flushed.whenComplete { result in
                    let handler = loopBound.value
                    if case .success = result { handler.startLingering() } else { handler.forceClose() }
                }
                requestEnded = true
            }
        } else {
            context.flush()
            if !requestEnded { awaitOwedBody() }
        }
        finishIfDone()
    }

    private func finishIfDone() {
        guard busy, requestEnded, responseEnded else { return }
        finishExchange()
        if closed || closeAfterResponse || http2 != nil { return }
        timeouts?.exchangeFinished(nextRequestQueued: !queue.isEmpty)
        // Feed queued parts until the next exchange has its whole request (head, body and end), not just
        // its head: stopping at the head left a pipelined request's `.end` queued and its upstream unflushed.
        // A queued request answered with `Connection: close` (a 400, say) ends the connection: nothing queued
        // behind it may start, let alone reach an upstream.
        while !closeAfterResponse, !lingering, !(busy && requestEnded), let next = queue.popFirst() {
            if case .body(let buffer) = next { queuedBytes -= buffer.storageCapacity }
            process(next)
        }
        if closeAfterResponse || lingering { return }
        resumeClientReadsIfAllowed()
        if !busy && (inputClosed || loop.draining) {
            context.close(promise: nil)
        }
    }

    /// Records the finished exchange (metrics, access log) and resets for the next request.
    private func finishExchange() {
        busy = false
        timeoutArmed = false
        let now = NIODeadline.now().uptimeNanoseconds
        let duration = Int64(now &- startNanos)
        guard let snapshot else { return }
        let api = apiIndex >= 0 ? snapshot.apis[apiIndex] : nil
        let route = api.map { $0.routes[routeIndex] }
        loop.requestMetrics.record(snapshot: ObjectIdentifier(snapshot), api: apiIndex, route: routeIndex,
                                   apiName: api?.name ?? "", routeKey: route?.keyText ?? "",
                                   method: method.rawValue, status: status, durationNanoseconds: duration)
        if let accessLog = loop.accessLog {
            var entry = AccessLogEntry(
                epochMilliseconds: Self.wallClockMilliseconds(), requestId: requestId, clientIp: clientIP.description,
                method: method.rawValue, host: host.map(String.init), path: String(logPath),
                httpProtocol: http2 != nil ? "HTTP/2.0" : isHTTP10 ? "HTTP/1.0" : "HTTP/1.1", status: status, bytes: responseBytes,
                latencyMs: Double(duration) / 1_000_000, integrationLatencyMs: nil, api: api?.name,
                route: route?.keyText, errorCode: errorCode?.rawValue)
            if integrationStartNanos > 0 {
                let end = integrationEndNanos > 0 ? integrationEndNanos : now
                entry.integrationLatencyMs = Double(end &- integrationStartNanos) / 1_000_000
            }
            var line: [UInt8] = []
            line.reserveCapacity(384)
            entry.append(to: &line)
            accessLog.append(line)
        }
        self.snapshot = nil
        self.integration = nil
    }

    /// Called on this loop when the gateway starts draining: idle connections close now, busy ones after
    /// their current response.
    func drain() {
        if !busy && queue.isEmpty {
            context.close(promise: nil)
        } else {
            keepAlive = false
        }
    }

    private var isHTTP10: Bool { version.major == 1 && version.minor == 0 }

    /// The Host header without its port, brackets (IPv6) or trailing dot.
    static func hostname(of host: Substring) -> String {
        var name = host
        if name.first == "[", let close = name.firstIndex(of: "]") {
            name = name[name.index(after: name.startIndex)..<close]
        } else if let colon = name.lastIndex(of: ":") {
            name = name[..<colon]
        }
        if name.last == "." { name = name.dropLast() }
        return String(name)
    }

    /// End of the drain deadline: whatever is still open is cut.
    func forceClose() {
        if !closed { context.close(promise: nil) }
    }

    static func wallClockMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
