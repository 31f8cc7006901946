import GatewayCore
import NIOCore
import NIOHTTP1

/// The life of one exchange: the head is checked for framing and its target normalised, the snapshot's
/// `RequestPipeline` runs, and its verdict is carried out (answer, read the body, wait for an operation, or start
/// the route's integration); then the exchange is logged and measured.
extension GatewayHandler {
    func process(_ part: HTTPServerRequestPart) {
        switch part {
        case .head(let head):
            startExchange(head)
        case .body(let buffer):
            guard busy, !exchange.requestEnded else { return }
            exchange.bodyBytes += buffer.readableBytes
            if exchange.bodyBytes > exchange.maxBodySize {
                bodyTooLarge()
                return
            }
            switch exchange.bodySink {
            case .integration:
                exchange.session?.requestBody(buffer)
            case .collect, .hold:
                // A body that arrives in one read (the usual case) is kept as it came, without a copy.
                if exchange.collectedBody == nil {
                    exchange.collectedBody = buffer
                } else {
                    exchange.collectedBody!.writeImmutableBuffer(buffer)
                }
                if exchange.bodySink == .hold, exchange.collectedBody!.readableBytes > Self.maxHeldBodyBytes {
                    pauseClientReads()
                }
            case .discard:
                break
            }
        case .end:
            guard busy, !exchange.requestEnded else { return }
            exchange.requestEnded = true
            switch exchange.bodySink {
            case .collect:
                bodyCollected()
                return
            case .integration:
                exchange.session?.requestEnd()
            case .hold, .discard:
                break
            }
            finishIfDone()
        }
    }

    /// Body held while the pipeline waits on an operation, before the client stops being read.
    private static var maxHeldBodyBytes: Int { 256 * 1024 }

    func beginExchange(method: HTTPMethod, version: HTTPVersion, keepAlive: Bool) {
        busy = true
        generation &+= 1
        exchange = Exchange(method: method, version: version, keepAlive: keepAlive && !loop.draining, edge: loop.current,
                            requestId: loop.requestIDs.next(), http2: http2 != nil,
                            startNanos: NIODeadline.now().uptimeNanoseconds)
    }

    /// `bodyFollows` is known on HTTP/2 only: a request body without Content-Length is forwarded chunked.
    func startExchange(_ head: HTTPRequestHead, bodyFollows: Bool? = nil) {
        timeouts?.headReceived()
        beginExchange(method: head.method, version: head.version, keepAlive: head.isKeepAlive)

        let accepted: RequestHeadValidator.Accepted
        switch RequestHeadValidator.validate(head) {
        case .failure(let rejection):
            if let incoming = head.headers.first(name: "x-request-id"), RequestID.isValidIncoming(Substring(incoming)) {
                exchange.requestId = incoming
            }
            exchange.logPath = Substring(head.uri).prefix(256)
            respondProblem(rejection.code, rejection.detail, close: true)
            return
        case .success(let value):
            accepted = value
        }
        if let incoming = accepted.requestId, RequestID.isValidIncoming(Substring(incoming)) {
            exchange.requestId = incoming
        }
        exchange.host = accepted.host
        exchange.expect = accepted.expect
        var framing = accepted.framing
        if bodyFollows == true, framing == .none, !head.headers.contains(name: "content-length") {
            framing = .chunked
        }
        let target = accepted.target
        let queryStart = target.utf8.firstIndex(of: UInt8(ascii: "?"))
        let path = queryStart.map { target[..<$0] } ?? target
        exchange.logPath = path
        exchange.requestHasBody = framing != .none
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
        exchange.request = RequestContext(
            head: head, peer: client.peer, host: accepted.host, path: routedPath, rawPath: path,
            query: queryStart.map { target[target.index(after: $0)...] }, framing: framing,
            presentedNames: client.presentedNames, requestId: exchange.requestId)
        runPipeline(from: 0)
    }

    /// Runs the snapshot's stages from `start` and carries out where they stop.
    private func runPipeline(from start: Int) {
        let pipeline = exchange.edge!.snapshot.pipeline
        let stop = pipeline.run(&exchange.request!, from: start)
        if let cutoff = exchange.request!.bodyCutoff {
            // A WAF rule on the size of a body of unknown length: lowering the body limit to it keeps the per-chunk
            // check one comparison; `bodyTooLarge` tells the two apart.
            exchange.maxBodySize = min(exchange.maxBodySize, cutoff.limit)
        }
        switch stop {
        case .respond(let answer):
            respond(answer)
        case .integrate:
            guard answerExpectation() else { return }
            startIntegration()
        case .readBody(let limit, let resumeAt):
            guard answerExpectation() else { return }
            exchange.resumeAt = resumeAt
            exchange.maxBodySize = min(exchange.maxBodySize, limit)
            exchange.bodySink = .collect
            // The route timeout bounds how long a client may take to send the body.
            armTimer(after: exchange.request!.route?.timeout ?? Self.defaultBodyTimeout)
        case .suspend(let operation, let resumeAt):
            suspend(on: operation, resumeAt: resumeAt)
        }
    }

    /// For a stage that wants the body before any route is known (none does yet).
    private static var defaultBodyTimeout: Duration { .seconds(30) }

    /// The body a stage asked for has fully arrived: that stage runs again with it.
    private func bodyCollected() {
        exchange.request!.body = exchange.collectedBody ?? context.channel.allocator.buffer(capacity: 0)
        exchange.collectedBody = nil
        exchange.bodySink = .discard
        timeoutArmed = false
        runPipeline(from: exchange.resumeAt)
    }

    /// The stage at `resumeAt` waits for `operation`; its result comes back to this loop and runs that stage
    /// again. Body bytes arriving meanwhile are held for the integration.
    private func suspend(on operation: any PendingOperation, resumeAt: Int) {
        exchange.resumeAt = resumeAt
        exchange.pendingOperation = operation
        if !exchange.requestEnded { exchange.bodySink = .hold }
        armTimer(after: exchange.request!.route?.timeout ?? Self.defaultBodyTimeout)
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let generation = self.generation
        operation.start { result in
            if eventLoop.inEventLoop {
                loopBound.value.operationCompleted(result, generation: generation)
            } else {
                eventLoop.execute { loopBound.value.operationCompleted(result, generation: generation) }
            }
        }
    }

    private func operationCompleted(_ result: OperationResult, generation: UInt64) {
        guard generation == self.generation, busy, !exchange.responseEnded, exchange.pendingOperation != nil else {
            return  // answered meanwhile (timeout, client gone): the result has nobody to go to
        }
        exchange.pendingOperation = nil
        timeoutArmed = false
        exchange.request!.operationResult = result
        if exchange.bodySink == .hold { exchange.bodySink = .discard }
        runPipeline(from: exchange.resumeAt)
    }

    /// `Expect` is answered when the request path first wants the body: 100 Continue for `100-continue`, 417 for
    /// anything else. Returns false when the exchange was answered.
    private func answerExpectation() -> Bool {
        guard let expect = exchange.expect else { return true }
        exchange.expect = nil
        guard expect.trimmingASCIIWhitespace().equalsASCIICaseInsensitive("100-continue") else {
            respondProblem(.badRequest, "unsupported Expect value", close: true, status: 417)
            return false
        }
        if http2 != nil {
            let interim = HTTPResponseHead(version: .http2, status: .continue)
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.head(interim)), promise: nil)
        } else if exchange.version.minor >= 1 {
            var interim = context.channel.allocator.buffer(capacity: 25)
            interim.writeStaticString("HTTP/1.1 100 Continue\r\n\r\n")
            context.writeAndFlush(wrapOutboundOut(interim), promise: nil)
        }
        return true
    }

    /// Every stage let the request through: the route's integration answers it.
    private func startIntegration() {
        // Lent to the integration by moving it out and back: passing `exchange.request!` itself would copy the
        // whole context (a class property cannot be borrowed across a call), which measured ~1,000 instructions.
        guard let request = exchange.request.take() else { return }
        let integration = exchange.edge!.integrations[request.apiIndex][request.routeIndex]
        let timeout = request.route!.timeout
        var body = request.body
        if body == nil, let held = exchange.collectedBody {
            body = held
            exchange.collectedBody = nil
        }
        exchange.bodySink = .integration
        let started = integration.start(request, body: body, requestEnded: exchange.requestEnded, host: self,
                                        reusing: spareSession)
        exchange.request = consume request
        switch started {
        case .answer(let answer):
            if exchange.request?.cacheFill != nil { storeInCache(answer) }
            respond(answer)
        case .session(let session):
            spareSession = nil
            exchange.session = session
            armTimer(after: timeout)
            // May answer or fail before it returns, and the next pipelined exchange may then have begun.
            session.proceed()
        }
    }

    /// A whole answer (a mock) on a GET miss of a cached route: stored now if cacheable.
    @inline(never)
    private func storeInCache(_ answer: GatewayAnswer) {
        guard let fill = exchange.request?.cacheFill, let snapshot = exchange.edge?.snapshot else { return }
        defer { fill.finish() }
        guard CacheCapture.store(answer, fill: fill, now: snapshot.state.clock.now()) else { return }
        markCacheStored()
    }

    // MARK: failures the connection sees

    private func bodyTooLarge() {
        let cutoff = exchange.request?.bodyCutoff.flatMap { exchange.bodyBytes > $0.limit ? $0 : nil }
        exchange.errorCode = cutoff == nil ? .requestTooLarge : .wafFiltered
        exchange.requestEnded = true
        exchange.bodySink = .discard
        detachIntegration()
        if let cutoff {
            cutoff.triggered()
            exchange.request?.wafFinding = cutoff.finding
        }
        if exchange.response.headSent {
            context.close(promise: nil)
            return
        }
        if var answer = cutoff?.answer {
            // The rest of the body is never read: the connection cannot carry another request.
            answer.connection = .close
            respond(answer)
            return
        }
        respondProblem(.requestTooLarge, "request body exceeds the \(exchange.maxBodySize)-byte limit", close: true)
    }

    /// The timer armed for the body read, the operation or the integration ran out.
    func exchangeTimedOut() {
        guard busy, !exchange.responseEnded else { return }
        timeoutArmed = false
        if exchange.bodySink == .collect {
            exchange.bodySink = .discard
            exchange.collectedBody = nil
            respondProblem(.badRequest, "the request body did not arrive within the route's timeout", close: true,
                           status: 408)
            return
        }
        detachIntegration()
        exchange.integrationEndNanos = NIODeadline.now().uptimeNanoseconds
        if exchange.response.headSent {
            exchange.errorCode = .integrationTimeout
            context.close(promise: nil)
            return
        }
        exchange.bodySink = .discard
        exchange.collectedBody = nil
        resumeClientReads()
        respondProblem(.integrationTimeout, "the integration did not respond in time", close: !exchange.requestEnded)
    }

    /// Stops whatever works on the exchange's behalf (an integration, an operation): its answer is not wanted.
    func detachIntegration() {
        if let operation = exchange.pendingOperation {
            exchange.pendingOperation = nil
            operation.cancel()
        }
        if let session = exchange.session {
            exchange.session = nil
            session.cancel()
            spareSession = session
        }
    }

    // MARK: answers made by the gateway

    func respond(_ answer: GatewayAnswer) {
        let close: Bool
        switch answer.connection {
        case .keepOpen: close = false
        case .close: close = true
        case .closeIfBodyUnread: close = !exchange.requestEnded && exchange.requestHasBody
        }
        if let code = answer.errorCode { exchange.errorCode = code }
        writeAnswer(answer, close: close || !exchange.keepAlive || closeAfterResponse)
    }

    func respondProblem(_ code: GatewayErrorCode, _ detail: String, close: Bool, status: Int? = nil) {
        respond(.problem(code, detail, requestId: exchange.requestId, connection: close ? .close : .keepOpen,
                         status: status))
    }

    private func writeAnswer(_ answer: GatewayAnswer, close: Bool) {
        timeoutArmed = false
        if close { closeAfterResponse = true }
        exchange.status = answer.status
        send(exchange.response.answer(context.channel.allocator, answer, requestId: exchange.requestId,
                                      stageHeaders: exchange.request?.responseHeaders ?? [], close: close,
                                      sendsBody: exchange.method != .HEAD && answer.status != 304))
        writeEnd()
    }

    // MARK: the record

    /// Records the finished exchange (metrics, access log) and releases it.
    func finishExchange() {
        busy = false
        timeoutArmed = false
        if let session = exchange.session { spareSession = session }
        let now = NIODeadline.now().uptimeNanoseconds
        let duration = Int64(now &- exchange.startNanos)
        guard let snapshot = exchange.edge?.snapshot else { return }
        // Moved out, not copied: the exchange releases its request here anyway.
        var findings: RequestPipeline.Findings?
        if let request = exchange.request.take() {
            findings = RequestPipeline.findings(request, apis: snapshot.apis)
            // Whatever ended the exchange (an answer, a failure, a timeout, the client leaving), requests waiting
            // for its cache fill look again now.
            request.cacheFill?.finish()
        }
        loop.requestMetrics.record(snapshot: ObjectIdentifier(snapshot), api: findings?.apiIndex ?? -1,
                                   route: findings?.routeIndex ?? -1, apiName: findings?.apiName ?? "",
                                   routeKey: findings?.routeKey ?? "", method: exchange.method.rawValue,
                                   status: exchange.status, durationNanoseconds: duration)
        if let accessLog = loop.accessLog {
            var entry = AccessLogEntry(
                epochMilliseconds: WallClock.epochMilliseconds(), requestId: exchange.requestId,
                clientIp: (findings?.clientIP ?? client.peer).description, method: exchange.method.rawValue,
                host: exchange.host.map(String.init), path: String(exchange.logPath),
                httpProtocol: http2 != nil ? "HTTP/2.0" : exchange.isHTTP10 ? "HTTP/1.0" : "HTTP/1.1",
                status: exchange.status, bytes: exchange.response.bytes, latencyMs: Double(duration) / 1_000_000,
                integrationLatencyMs: nil, api: findings?.apiName, route: findings?.routeKey, apiKey: findings?.apiKey,
                cache: findings?.cache?.rawValue, waf: findings?.waf, errorCode: exchange.errorCode?.rawValue,
                functionError: exchange.functionError)
            if exchange.integrationStartNanos > 0 {
                let end = exchange.integrationEndNanos > 0 ? exchange.integrationEndNanos : now
                entry.integrationLatencyMs = Double(end &- exchange.integrationStartNanos) / 1_000_000
            }
            var line: [UInt8] = []
            line.reserveCapacity(384)
            entry.append(to: &line)
            accessLog.append(line)
        }
        // What the exchange kept alive (snapshot, session, held body; the request went with `take()` above) is
        // released now, not at the next request.
        exchange.edge = nil
        exchange.session = nil
        exchange.collectedBody = nil
    }
}
