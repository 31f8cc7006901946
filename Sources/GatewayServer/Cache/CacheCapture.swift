import GatewayCore
import GatewayIntegrations
import NIOCore

/// A cacheable response on its way to the client, copied once as it streams so it can be stored when it ends.
/// Past the route's `maxEntrySize` the copy is dropped and the response simply streams on (never buffered to
/// decide). Chunk framing passed through to an HTTP/1.1 client is removed when the entry is stored.
final class CacheCapture {
    let fill: CacheFill
    let status: Int
    let headers: [(name: String, value: String)]
    let ttlSeconds: Int
    let vary: [String]
    /// The bytes arriving still carry chunk framing (passed through to an HTTP/1.1 client).
    let framed: Bool
    private var body: ByteBuffer
    /// Past `maxEntrySize`: the copy was dropped and will not be stored.
    private(set) var abandoned = false

    /// Fields a stored response must not repeat besides those a proxied response drops: its length (a hit sends
    /// its own `content-length`) and `age`; for a mock answer, also the hop-by-hop names.
    static let unstored: Set<String> = Set(ForwardingHeaders.hopByHop + ["content-length", "age", "x-request-id"])

    /// The capture for `head`, or nil with the reason when the response is not to be stored.
    static func start(_ fill: CacheFill, head: UpstreamResponseHead, framed: Bool,
                      allocator: ByteBufferAllocator) -> (capture: CacheCapture?, certain: Bool) {
        let fields = headerFields(head)
        guard case .store(let ttl, let vary) = ResponseCacheability.decide(status: head.status, headers: fields,
                                                                           routeTTLSeconds: fill.ttlSeconds,
                                                                           requestAuthorized: fill.authorized) else {
            return (nil, false)
        }
        switch head.framing {
        case .contentLength(let length) where length > fill.maxEntrySize:
            return (nil, false)
        case .none:
            return (nil, false)
        default:
            break
        }
        let kept = fields.filter { !unstored.contains($0.name.lowercased()) }
        var certain = false
        var capacity = 1024
        if case .contentLength(let length) = head.framing {
            certain = true
            capacity = length
        }
        let capture = CacheCapture(fill: fill, status: head.status, headers: kept, ttlSeconds: ttl, vary: vary,
                                   framed: framed && head.framing == .chunked,
                                   body: allocator.buffer(capacity: min(capacity, fill.maxEntrySize)))
        return (capture, certain)
    }

    /// For a whole answer made at once (a mock integration).
    static func store(_ answer: GatewayAnswer, fill: CacheFill, now: EpochNanoseconds) -> Bool {
        var fields = answer.headers
        if let contentType = answer.contentType { fields.insert(("content-type", contentType), at: 0) }
        guard case .store(let ttl, let vary) = ResponseCacheability.decide(status: answer.status, headers: fields,
                                                                           routeTTLSeconds: fill.ttlSeconds,
                                                                           requestAuthorized: fill.authorized),
              answer.body.count <= fill.maxEntrySize else { return false }
        let response = CachedResponse(status: answer.status, headers: fields.filter { !unstored.contains($0.name.lowercased()) },
                                      body: ByteBuffer(bytes: answer.body), storedAt: now, ttlSeconds: ttl)
        return fill.store.store(fill.key, vary: vary, requestHeaders: fill.requestHeaders, response: response,
                                tag: fill.tag, now: now)
    }

    private init(fill: CacheFill, status: Int, headers: [(name: String, value: String)], ttlSeconds: Int,
                 vary: [String], framed: Bool, body: ByteBuffer) {
        self.fill = fill
        self.status = status
        self.headers = headers
        self.ttlSeconds = ttlSeconds
        self.vary = vary
        self.framed = framed
        self.body = body
    }

    /// Chunk framing adds at most a size line and CRLFs per chunk; past this even a framed copy is too large.
    private var rawLimit: Int { framed ? fill.maxEntrySize * 2 + 64 * 1024 : fill.maxEntrySize }

    func append(_ buffer: ByteBuffer) {
        guard !abandoned else { return }
        guard body.readableBytes + buffer.readableBytes <= rawLimit else {
            abandoned = true
            body = ByteBuffer()  // the copy's memory goes now; the response streams on
            return
        }
        body.writeImmutableBuffer(buffer)
    }

    /// Stores the entry; false when it was dropped, too large, or its framing did not decode.
    func finish(now: EpochNanoseconds) -> Bool {
        guard !abandoned else { return false }
        var content = body
        if framed {
            guard let decoded = Self.dechunk(body) else { return false }
            content = decoded
        }
        guard content.readableBytes <= fill.maxEntrySize else { return false }
        let response = CachedResponse(status: status, headers: headers, body: content, storedAt: now, ttlSeconds: ttlSeconds)
        return fill.store.store(fill.key, vary: vary, requestHeaders: fill.requestHeaders, response: response,
                                tag: fill.tag, now: now)
    }

    /// The payload of a complete chunked body, or nil when it is incomplete or malformed.
    static func dechunk(_ framed: ByteBuffer) -> ByteBuffer? {
        var scanner = ChunkedBodyScanner()
        var payload = ByteBuffer()
        payload.reserveCapacity(framed.readableBytes)
        let view = framed.readableBytesView
        do {
            _ = try scanner.scan(view) { range in
                payload.writeBytes(view[(view.startIndex + range.lowerBound)..<(view.startIndex + range.upperBound)])
            }
        } catch {
            return nil
        }
        return scanner.isFinished ? payload : nil
    }

    /// The head's fields a client would get (hop-by-hop, `Connection`-nominated and the upstream's own
    /// `X-Request-Id` left out, as for a proxied response), as (name, value).
    static func headerFields(_ head: UpstreamResponseHead) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        fields.reserveCapacity(head.lines.count)
        ResponseHeadWriter.forEachKeptField(of: head) { fields.append(($0, $1)) }
        return fields
    }
}
