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
        let write = exchange.response.proxiedHead(context.channel.allocator, head, requestId: exchange.requestId,
                                                  stageHeaders: exchange.request?.responseHeaders ?? [], close: close)
        if let write { context.write(write, promise: nil) }
    }

    func responseBody(_ body: ByteBuffer) {
        guard busy, !exchange.responseEnded else { return }
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
        if !exchange.requestEnded {
            // The upstream answered before the body ended; it is not reusable and the rest is discarded.
            exchange.bodySink = .discard
        }
        writeEnd()
    }

    func dropHeldResponseHead() {
        exchange.response.dropHeldHead()
    }

    func pauseRequestBody() { pauseClientReads() }

    func resumeRequestBody() { resumeClientReads() }
}
