import NIOCore
import NIOHTTP1

/// What one worker's Runtime API connection reports; the worker decides (`function-protocols.md` C.1).
protocol RuntimeAPIDelegate: AnyObject {
    /// `GET /next`: the runtime waits here for its next event.
    func runtimeParked(_ connection: RuntimeAPIHandler)
    /// `POST /invocation/{id}/response`; false when `id` is not the invocation in progress.
    func runtimeResponded(requestId: Substring, body: ByteBuffer) -> Bool
    /// `POST /invocation/{id}/error`.
    func runtimeFailed(requestId: Substring, body: ByteBuffer, errorType: String?) -> Bool
    /// `POST /init/error`: the runtime could not start.
    func runtimeInitFailed(body: ByteBuffer, errorType: String?)
    /// A result past the size limit: the invocation fails with `Function.ResponseSizeTooLarge`.
    func runtimeResponseTooLarge(requestId: Substring)
    /// A connection closed; if it was parked, the worker can no longer be handed an event.
    func runtimeConnectionClosed(_ connection: RuntimeAPIHandler)
}

/// The Lambda Runtime API for one worker process, on its own loopback port: the runtime long-polls `/next`, posts
/// results and errors. Bodies are bounded (6 MB + 100 bytes, as the RIE allows), and a parked `/next` never times
/// out on this side.
final class RuntimeAPIHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let prefix = "/2018-06-01/runtime"
    static let maxBodyBytes = 6 * 1024 * 1024 + 100

    /// Strong: a connection can close after its worker was dropped; the worker lets go of it (`parked`) when
    /// it dies, so the two do not keep each other.
    private let delegate: any RuntimeAPIDelegate
    private var context: ChannelHandlerContext?
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var tooLarge = false

    init(delegate: any RuntimeAPIDelegate) {
        self.delegate = delegate
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelInactive(context: ChannelHandlerContext) {
        delegate.runtimeConnectionClosed(self)
        self.context = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
            tooLarge = false
        case .body(var chunk):
            if body.readableBytes + chunk.readableBytes > Self.maxBodyBytes {
                tooLarge = true
            } else {
                body.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            route(head)
        }
    }

    private func route(_ head: HTTPRequestHead) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first ?? ""
        guard path.hasPrefix(Self.prefix) else { return reply(404, "NotFound", "unknown path") }
        let rest = path.dropFirst(Self.prefix.count)
        let errorType = head.headers.first(name: "lambda-runtime-function-error-type")
        if head.method == .GET && rest == "/invocation/next" {
            delegate.runtimeParked(self)
            return
        }
        guard head.method == .POST else { return reply(404, "NotFound", "unknown path") }
        if rest == "/init/error" {
            delegate.runtimeInitFailed(body: body, errorType: errorType)
            return accepted()
        }
        let parts = rest.split(separator: "/")
        guard parts.count == 3, parts[0] == "invocation", parts[2] == "response" || parts[2] == "error" else {
            return reply(404, "NotFound", "unknown path")
        }
        let requestId = parts[1]
        if tooLarge {
            delegate.runtimeResponseTooLarge(requestId: requestId)
            return reply(413, "RequestEntityTooLarge", "the response exceeds \(Self.maxBodyBytes) bytes")
        }
        let known = parts[2] == "response"
            ? delegate.runtimeResponded(requestId: requestId, body: body)
            : delegate.runtimeFailed(requestId: requestId, body: body, errorType: errorType)
        if known { accepted() } else { reply(400, "InvalidRequestID", "no invocation \(requestId) in progress") }
    }

    /// Hands the parked `/next` its event (C.2 headers); false when the connection is gone.
    func deliver(requestId: String, deadlineMilliseconds: Int64, functionArn: String, event: [UInt8]) -> Bool {
        guard let context, context.channel.isActive else { return false }
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "lambda-runtime-aws-request-id", value: requestId)
        headers.add(name: "lambda-runtime-deadline-ms", value: String(deadlineMilliseconds))
        headers.add(name: "lambda-runtime-invoked-function-arn", value: functionArn)
        headers.add(name: "content-length", value: String(event.count))
        var buffer = context.channel.allocator.buffer(capacity: event.count)
        buffer.writeBytes(event)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        return true
    }

    private func accepted() {
        send(202, #"{"status":"OK"}"# + "\n")
    }

    private func reply(_ status: Int, _ type: String, _ message: String) {
        send(status, #"{"errorMessage":"\#(message)","errorType":"\#(type)"}"# + "\n")
    }

    private func send(_ status: Int, _ text: String) {
        guard let context else { return }
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(text.utf8.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status),
                                                             headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
