import NIOCore
import NIOHPACK
import NIOHTTP1
import NIOHTTP2

/// Between an HTTP/2 stream channel and its `GatewayHandler`. Requests are read with the rules of NIO's
/// `HTTP2FramePayloadToHTTP1ServerCodec` (same pseudo-header checks, same synthesised `host` and framing fields).
/// Responses differ in one way that measured: only fields whose values repeat from response to response enter
/// HPACK's dynamic table. Per-response values (`x-request-id`, `date`, lengths, validators) churned the table,
/// and the encoder scans all of it for every field; repeating ones (`content-type`, `server`) indexed cost one
/// byte instead of a Huffman-coded string. (The response's end stays an empty DATA frame: set on the last DATA frame instead, END_STREAM
/// lost that frame when the connection closed right after it in a drain.)
final class HTTP2StreamCodec: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTP2Frame.FramePayload

    private enum RequestState { case awaitingHead, receivingBody, ended }
    private var requestState = RequestState.awaitingHead

    // MARK: requests

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let block):
            switch requestState {
            case .awaitingHead:
                let head: HTTPRequestHead
                do {
                    head = try Self.requestHead(block.headers, endStream: block.endStream)
                } catch {
                    context.fireErrorCaught(error)
                    return
                }
                requestState = block.endStream ? .ended : .receivingBody
                context.fireChannelRead(wrapInboundOut(.head(head)))
                if block.endStream { context.fireChannelRead(wrapInboundOut(.end(nil))) }
            case .receivingBody:
                // Trailers (NIO's stream state machine has already required END_STREAM on them).
                requestState = .ended
                context.fireChannelRead(wrapInboundOut(.end(HTTPHeaders(Self.regularFields(block.headers)))))
            case .ended:
                context.fireErrorCaught(NIOHTTP2Errors.unsupported(info: "HEADERS after the end of the request"))
            }
        case .data(let frame):
            guard case .byteBuffer(let bytes) = frame.data, requestState == .receivingBody else {
                context.fireErrorCaught(NIOHTTP2Errors.unsupported(info: "DATA outside a request body"))
                return
            }
            if frame.endStream {
                requestState = .ended
                if bytes.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(.body(bytes))) }
                context.fireChannelRead(wrapInboundOut(.end(nil)))
            } else {
                context.fireChannelRead(wrapInboundOut(.body(bytes)))
            }
        default:
            break  // other frame types carry nothing for the request
        }
    }

    /// The request head of a HEADERS block, exactly as NIO's codec builds it: `:method`, `:path`, `:scheme` and
    /// `:authority` each present once with no control byte or space in it; `host` from `:authority` unless sent;
    /// methods that may carry content get `content-length: 0` or `transfer-encoding: chunked` when they have no
    /// `content-length`.
    static func requestHead(_ block: HPACKHeaders, endStream: Bool) throws -> HTTPRequestHead {
        var method: String?, path: String?, scheme: String?, authority: String?
        var hasHost = false
        var hasContentLength = false
        for (name, value, _) in block {
            guard name.utf8.first == UInt8(ascii: ":") else {
                if name == "host" { hasHost = true } else if name == "content-length" { hasContentLength = true }
                continue
            }
            switch name {
            case ":method": try setOnce(&method, name, value)
            case ":path": try setOnce(&path, name, value)
            case ":scheme": try setOnce(&scheme, name, value)
            case ":authority": try setOnce(&authority, name, value)
            default: break
            }
        }
        guard let method else { throw NIOHTTP2Errors.missingPseudoHeader(":method") }
        guard let path else { throw NIOHTTP2Errors.missingPseudoHeader(":path") }
        guard scheme != nil else { throw NIOHTTP2Errors.missingPseudoHeader(":scheme") }
        guard let authority else { throw NIOHTTP2Errors.missingPseudoHeader(":authority") }

        let httpMethod = HTTPMethod(rawValue: method)
        var fields: [(String, String)] = []
        fields.reserveCapacity(block.count)
        if !hasHost { fields.append(("host", authority)) }
        switch httpMethod {
        case .GET, .HEAD, .DELETE, .CONNECT, .TRACE:
            break
        default:
            if !hasContentLength {
                fields.append(endStream ? ("content-length", "0") : ("transfer-encoding", "chunked"))
            }
        }
        appendRegularFields(block, to: &fields)
        return HTTPRequestHead(version: .http2, method: httpMethod, uri: path, headers: HTTPHeaders(fields))
    }

    /// A pseudo-header's value, refused if it repeats or holds a control byte, SP or DEL (it becomes part of an
    /// HTTP/1.1 request line or `Host` upstream).
    private static func setOnce(_ slot: inout String?, _ name: String, _ value: String) throws {
        guard slot == nil else { throw NIOHTTP2Errors.duplicatePseudoHeader(name) }
        guard !value.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw NIOHTTP2Errors.invalidPseudoHeaderValue(name: name, value: value)
        }
        slot = value
    }

    private static func regularFields(_ block: HPACKHeaders) -> [(String, String)] {
        var fields: [(String, String)] = []
        fields.reserveCapacity(block.count)
        appendRegularFields(block, to: &fields)
        return fields
    }

    private static func appendRegularFields(_ block: HPACKHeaders, to fields: inout [(String, String)]) {
        for (name, value, _) in block where name.utf8.first != UInt8(ascii: ":") { fields.append((name, value)) }
    }

    // MARK: responses

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let payload: HTTP2Frame.FramePayload
        switch unwrapOutboundIn(data) {
        case .head(let head):
            payload = .headers(.init(headers: Self.responseFields(head)))
        case .body(let body):
            payload = .data(.init(data: body))
        case .end(let trailers?):
            payload = .headers(.init(headers: Self.fields(trailers, status: nil), endStream: true))
        case .end(nil):
            payload = .data(.init(data: .byteBuffer(ByteBuffer()), endStream: true))
        }
        context.write(wrapOutboundOut(payload), promise: promise)
    }

    /// `:status` then the fields, none entered in the dynamic table. Common statuses are one byte from the
    /// static table.
    static func responseFields(_ head: HTTPResponseHead) -> HPACKHeaders {
        fields(head.headers, status: head.status.code)
    }

    private static func fields(_ headers: HTTPHeaders, status: UInt?) -> HPACKHeaders {
        var fields = HPACKHeaders()
        fields.reserveCapacity(headers.count + 1)
        if let status {
            switch status {
            case 200, 204, 206, 304, 400, 404, 500: fields.add(name: ":status", value: String(status), indexing: .indexable)
            default: fields.add(name: ":status", value: String(status), indexing: .nonIndexable)
            }
        }
        for (name, value) in headers {
            // h2 has no connection-specific fields (RFC 9113 §8.2.2); the gateway's own h2 heads carry none, this
            // keeps it so whatever a future caller adds.
            if hopByHopLengths.contains(name.utf8.count) && ForwardingHeaders.isListed(name, ForwardingHeaders.hopByHop) {
                continue
            }
            let lowercase = name.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) ? name.lowercased() : name
            fields.add(name: lowercase, value: value, indexing: indexing(of: lowercase))
        }
        return fields
    }

    /// Fields whose value is new in (nearly) every response: indexing them would only evict the ones that repeat.
    private static let perResponse: Set<String> = ["x-request-id", "date", "content-length", "age", "etag",
                                                   "last-modified", "expires", "ratelimit", "cache-status"]

    /// How a response field is encoded: cookies never indexed (RFC 7541 §7.1.3), per-response values not
    /// indexed, the rest indexed.
    static func indexing(of lowercaseName: String) -> HPACKIndexing {
        if perResponseLengths.contains(lowercaseName.utf8.count) && perResponse.contains(lowercaseName) { return .nonIndexable }
        if lowercaseName == "set-cookie" { return .neverIndexed }
        return .indexable
    }

    private static let perResponseLengths = LengthSet(Array(perResponse))

    private static let hopByHopLengths = LengthSet(ForwardingHeaders.hopByHop)
}
