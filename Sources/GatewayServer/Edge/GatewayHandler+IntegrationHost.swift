import GatewayCore
import GatewayIntegrations
import NIOCore

/// What the route's integration may do with the current exchange. Every call checks that the exchange is still
/// waiting for it: a late part for an exchange that timed out or lost its client is dropped.
extension GatewayHandler: IntegrationHost {
    var allocator: ByteBufferAllocator { context.channel.allocator }
    var clientIsWritable: Bool { context.channel.isWritable }
    var takesUnframedBody: Bool { exchange.isHTTP10 || http2 != nil }
    var awaitsIntegration: Bool {
        busy && !closed && !exchange.responseEnded && exchange.bodySink == .integration
    }
    var responseStarted: Bool { exchange.response.headSent }
    var localPort: Int { context.channel.localAddress?.port ?? context.channel.parent?.localAddress?.port ?? 0 }
    var httpProtocol: String { http2 != nil ? "HTTP/2.0" : exchange.isHTTP10 ? "HTTP/1.0" : "HTTP/1.1" }

    func recordFunctionError(_ type: String) {
        exchange.functionError = type
    }

    func integrationStarted() {
        exchange.integrationStartNanos = NIODeadline.now().uptimeNanoseconds
    }

    func answer(_ answer: GatewayAnswer) {
        guard busy, !exchange.responseEnded else { return }
        respond(answer)
    }

    func integrationFailed(_ detail: String) {
        guard busy, !exchange.responseEnded else { return }
        exchange.integrationEndNanos = NIODeadline.now().uptimeNanoseconds
        exchange.bodySink = .discard
        resumeClientReads()
        respondProblem(.integrationFailure, detail, close: !exchange.requestEnded)
    }

    func integrationCut() {
        exchange.errorCode = .integrationFailure
        closeAfterResponse = true
        context.close(promise: nil)
    }

    func responseHead(_ head: UpstreamResponseHead) {
        guard busy, !exchange.responseEnded else { return }
        exchange.status = head.status
        var close = !exchange.keepAlive || closeAfterResponse
        switch head.framing {
        case .untilClose:
            close = true  // the client can only see the end of an unframed body by the close
        case .chunked where exchange.isHTTP10:
            close = true  // de-chunked for an HTTP/1.0 client, so its end is the close too
        default:
            break
        }
        if let fill = exchange.request?.cacheFill {
            let (capture, certain) = CacheCapture.start(fill, head: head, framed: !takesUnframedBody,
                                                        allocator: context.channel.allocator)
            exchange.cacheCapture = capture
            // `stored` only when the length is known to fit; a chunked response is stored if it turns out to.
            if capture != nil && certain { markCacheStored() }
            // Not cacheable: requests waiting for this fill need not wait for the body.
            if capture == nil { fill.finish() }
        }
        let write = exchange.response.proxiedHead(context.channel.allocator, head, requestId: exchange.requestId,
                                                  stageHeaders: exchange.request?.responseHeaders ?? [], close: close)
        if let write { context.write(write, promise: nil) }
    }

    func responseBody(_ body: ByteBuffer) {
        guard busy, !exchange.responseEnded else { return }
        exchange.cacheCapture?.append(body)
        send(exchange.response.proxiedBody(body, closeAfterResponse: &closeAfterResponse))
    }

    func responseReadComplete() {
        guard exchange.response.headSent || exchange.response.hasHeldHead else { return }
        releaseHeldResponseHead()
        context.flush()
    }

    func responseEnd() {
        guard busy, !exchange.responseEnded else { return }
        exchange.integrationEndNanos = NIODeadline.now().uptimeNanoseconds
        if let capture = exchange.cacheCapture, let snapshot = exchange.edge?.snapshot {
            exchange.cacheCapture = nil
            _ = capture.finish(now: snapshot.state.clock.now())
        }
        exchange.request?.cacheFill?.finish()
        if !exchange.requestEnded {
            // The upstream answered before the body ended; it is not reusable and the rest is discarded.
            exchange.bodySink = .discard
        }
        writeEnd()
    }

    /// The miss's `Cache-Status` says the response is stored.
    func markCacheStored() {
        guard let index = exchange.request?.responseHeaders.firstIndex(where: { $0.name == CacheStatusField.name }) else { return }
        let current = exchange.request!.responseHeaders[index].value
        exchange.request!.responseHeaders[index].value = current == CacheStatusField.refresh
            ? CacheStatusField.refreshStored : CacheStatusField.missStored
    }

    /// The client left while this exchange fetches a key others wait for: the fill goes on without it, so they
    /// are served from the cache rather than each sent upstream (nginx completes such a fill too).
    func handOffCacheFill() {
        guard let fill = exchange.request?.cacheFill, fill.lease != nil, let session = exchange.session,
              let route = exchange.request?.route, let snapshot = exchange.edge?.snapshot,
              exchange.integrationStartNanos > 0 else { return }
        // A head that arrived without a capture was not cacheable, and the waiters were released then.
        if exchange.status != 0 && exchange.cacheCapture == nil { return }
        let elapsed = Int64(NIODeadline.now().uptimeNanoseconds &- exchange.integrationStartNanos)
        let remaining = route.timeout.nanoseconds - elapsed
        guard remaining > 0 else { return }
        let detached = DetachedCacheFill(fill: fill, capture: exchange.cacheCapture, framed: !takesUnframedBody,
                                         clock: snapshot.state.clock)
        guard session.handOff(to: detached, timeout: .nanoseconds(remaining)) else { return }
        exchange.request?.cacheFill = nil
        exchange.cacheCapture = nil
    }

    func dropHeldResponseHead() {
        exchange.response.dropHeldHead()
    }

    func pauseRequestBody() { pauseClientReads() }

    func resumeRequestBody() { resumeClientReads() }
}
