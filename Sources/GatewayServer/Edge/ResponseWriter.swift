import GatewayCore
import GatewayIntegrations
import NIOCore
import NIOHTTP1

/// Shapes one exchange's response for the client: HTTP/1.1 as serialised bytes (a proxied response spliced from
/// the upstream's own bytes), HTTP/2 as `HTTPServerResponsePart`s for the stream codec.
///
/// A value inside the exchange that returns what to write instead of writing it: a channel write can re-enter the
/// handler (writability, a failed flush closing the channel), so the connection does the writes once the
/// exchange is no longer being modified. What happens to the connection afterwards is the connection's business,
/// which is why a held head reports its `Connection: close` instead of acting on it.
struct ResponseWriter {
    /// At most two writes per step (h2: head and body; h1: a held head and the body that could not join it).
    struct Writes {
        var first: NIOAny?
        var second: NIOAny?
    }

    let http2: Bool
    let version: HTTPVersion
    /// Some of the response reached the client: from here on it can only be completed or cut, not replaced.
    private(set) var headSent = false
    /// Body bytes sent (the access log's `bytes`).
    private(set) var bytes = 0
    /// An HTTP/1.1 proxied head not yet written: held until the body's first bytes (or the end of the upstream
    /// read) so head and a small body leave in one write, which over TLS is one record instead of two.
    private var heldHead: ByteBuffer?
    /// Whether the held head announced `Connection: close`; it takes effect once the head is written. Until then
    /// the gateway may still answer with a problem instead (the upstream failed before any byte reached the client).
    private var heldHeadCloses = false
    private static let maxCoalescedBodyBytes = 16 * 1024

    init(http2: Bool, version: HTTPVersion) {
        self.http2 = http2
        self.version = version
    }

    var hasHeldHead: Bool { heldHead != nil }
    private var isHTTP10: Bool { version.major == 1 && version.minor == 0 }

    // MARK: answers made by the gateway

    /// A whole response: h1 in one buffer (one `write` syscall once flushed), h2 as head and body parts.
    /// A `bodyBuffer` (a cache hit's stored bytes) replaces `body` and is written as it is, after the head, never
    /// copied; so are a hit's `fieldLines`, which replace its `headers` on HTTP/1.1.
    mutating func answer(_ allocator: ByteBufferAllocator, _ answer: GatewayAnswer, requestId: String,
                         stageHeaders: [(name: String, value: String)], close: Bool, sendsBody: Bool) -> Writes {
        heldHead = nil  // an answer made instead of an upstream head not yet written
        headSent = true
        let bodyBuffer = answer.bodyBuffer
        let length = bodyBuffer?.readableBytes ?? answer.body.count
        bytes = sendsBody ? length : 0
        if http2 {
            var writes = streamAnswer(allocator, answer, length: length, requestId: requestId,
                                      stageHeaders: stageHeaders, sendsBody: sendsBody)
            if sendsBody, let bodyBuffer, bodyBuffer.readableBytes > 0 {
                writes.second = NIOAny(HTTPServerResponsePart.body(.byteBuffer(bodyBuffer)))
            }
            return writes
        }
        // Stage fields (RateLimit, Cache-Status, Age) counted too: a head that outgrows its buffer is copied.
        var buffer = allocator.buffer(capacity: 160 + (bodyBuffer == nil ? answer.body.count : 0)
                                                + (answer.fieldLines?.readableBytes ?? answer.headers.count * 48)
                                                + stageHeaders.count * 64)
        ResponseHeadWriter.writeStatusLine(&buffer, version: version, status: answer.status)
        if let lines = answer.fieldLines, !answer.omitsContentLength {
            buffer.writeImmutableBuffer(lines)
            buffer.writeStaticString("x-request-id: ")
        } else {
            if let contentType = answer.contentType { ResponseHeadWriter.writeHeader(&buffer, "content-type", contentType) }
            for (name, value) in answer.headers { ResponseHeadWriter.writeHeader(&buffer, name, value) }
            if answer.omitsContentLength {
                buffer.writeStaticString("x-request-id: ")
            } else {
                buffer.writeStaticString("content-length: ")
                buffer.writeDecimal(length)
                buffer.writeStaticString("\r\nx-request-id: ")
            }
        }
        buffer.writeString(requestId)
        buffer.writeStaticString("\r\n")
        for (name, value) in stageHeaders { ResponseHeadWriter.writeHeader(&buffer, name, value) }
        if let freshness = answer.cacheFreshness {
            buffer.writeStaticString("cache-status: ")
            buffer.writeStaticString(CacheStatusField.hitPrefix)
            buffer.writeDecimal(Int(freshness.ttl))
            buffer.writeStaticString("\r\nage: ")
            buffer.writeDecimal(Int(freshness.age))
            buffer.writeStaticString("\r\n")
        }
        if close {
            buffer.writeStaticString("connection: close\r\n")
        } else if isHTTP10 {
            buffer.writeStaticString("connection: keep-alive\r\n")
        }
        buffer.writeStaticString("\r\n")
        if let bodyBuffer {
            var writes = Writes(first: NIOAny(buffer))
            if sendsBody && bodyBuffer.readableBytes > 0 { writes.second = NIOAny(bodyBuffer) }
            return writes
        }
        if sendsBody { buffer.writeBytes(answer.body) }
        return Writes(first: NIOAny(buffer))
    }

    /// The HTTP/2 form of `answer`: the stream codec frames it; connection headers do not exist in h2.
    private func streamAnswer(_ allocator: ByteBufferAllocator, _ answer: GatewayAnswer, length: Int, requestId: String,
                              stageHeaders: [(name: String, value: String)], sendsBody: Bool) -> Writes {
        var fields = HTTPHeaders()
        fields.reserveCapacity(answer.headers.count + stageHeaders.count + 5)
        if let contentType = answer.contentType { fields.add(name: "content-type", value: contentType) }
        for (name, value) in answer.headers { fields.add(name: name, value: value) }
        if !answer.omitsContentLength { fields.add(name: "content-length", value: String(length)) }
        fields.add(name: "x-request-id", value: requestId)
        for (name, value) in stageHeaders { fields.add(name: name, value: value) }
        if let freshness = answer.cacheFreshness {
            fields.add(name: CacheStatusField.name, value: CacheStatusField.hit(ttl: freshness.ttl))
            fields.add(name: "age", value: String(freshness.age))
        }
        let head = HTTPResponseHead(version: .http2, status: .init(statusCode: answer.status), headers: fields)
        var writes = Writes(first: NIOAny(HTTPServerResponsePart.head(head)))
        if sendsBody && answer.bodyBuffer == nil && !answer.body.isEmpty {
            var buffer = allocator.buffer(capacity: answer.body.count)
            buffer.writeBytes(answer.body)
            writes.second = NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer)))
        }
        return writes
    }

    // MARK: proxied responses

    /// h1: serialises the upstream's head for the client and holds it (see `heldHead`), writing nothing yet;
    /// h2: the head as fields. `close` says the client's connection ends with this response (h1 only).
    mutating func proxiedHead(_ allocator: ByteBufferAllocator, _ head: UpstreamResponseHead, requestId: String,
                              stageHeaders: [(name: String, value: String)], close: Bool) -> NIOAny? {
        if http2 {
            headSent = true
            var headers = ResponseHeadWriter.proxiedHeaders(upstream: head, requestId: requestId)
            for (name, value) in stageHeaders { headers.add(name: name, value: value) }
            return NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: .http2,
                                                                       status: .init(statusCode: head.status),
                                                                       headers: headers)))
        }
        let http10 = isHTTP10
        heldHeadCloses = close
        // Room for a body that will ride in the same write (see `proxiedBody`), when its length is known.
        var room = 0
        if case .contentLength(let length) = head.framing, length <= Self.maxCoalescedBodyBytes { room = length }
        heldHead = ResponseHeadWriter.proxiedHead(allocator, upstream: head, version: version, requestId: requestId,
                                                  stageHeaders: stageHeaders,
                                                  chunkedPassthrough: head.framing == .chunked && !http10, close: close,
                                                  keepAlive10: http10 && !close, room: room)
        return nil
    }

    /// Body bytes as the upstream framed them; the first small piece rides in the held head's write.
    mutating func proxiedBody(_ body: ByteBuffer, closeAfterResponse: inout Bool) -> Writes {
        bytes += body.readableBytes
        if http2 { return Writes(first: NIOAny(HTTPServerResponsePart.body(.byteBuffer(body)))) }
        if heldHead != nil, body.readableBytes <= Self.maxCoalescedBodyBytes,
           var head = takeHeldHead(closeAfterResponse: &closeAfterResponse) {
            head.writeImmutableBuffer(body)
            return Writes(first: NIOAny(head))
        }
        return Writes(first: takeHeldHead(closeAfterResponse: &closeAfterResponse).map { NIOAny($0) },
                      second: NIOAny(body))
    }

    /// The held head, if any, committing the response to the upstream's (then it is written).
    mutating func releaseHeldHead(closeAfterResponse: inout Bool) -> NIOAny? {
        takeHeldHead(closeAfterResponse: &closeAfterResponse).map { NIOAny($0) }
    }

    /// A head still held has not reached the client: dropped, the client gets the gateway's problem instead of a
    /// cut-off response that looks like the upstream's.
    mutating func dropHeldHead() {
        heldHead = nil
    }

    private mutating func takeHeldHead(closeAfterResponse: inout Bool) -> ByteBuffer? {
        guard let head = heldHead else { return nil }
        heldHead = nil
        headSent = true
        if heldHeadCloses { closeAfterResponse = true }
        return head
    }
}
