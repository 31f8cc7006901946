import GatewayIntegrations
import NIOCore
import NIOHTTP1

/// Serialises response heads straight into the buffer that goes to the client.
///
/// For proxied responses the upstream's header lines are copied byte for byte (minus hop-by-hop ones), so a
/// response is never decoded into Strings and re-encoded; the gateway's own responses are written the same way.
enum ResponseHeadWriter {

    static func writeStatusLine(_ buffer: inout ByteBuffer, version: HTTPVersion, status: Int) {
        buffer.writeStaticString(version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        if status == 200 {
            buffer.writeStaticString("200 OK\r\n")
            return
        }
        let phrase = HTTPResponseStatus(statusCode: status).reasonPhrase
        buffer.writeDecimal(status)
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(phrase)
        buffer.writeStaticString("\r\n")
    }

    static func writeHeader(_ buffer: inout ByteBuffer, _ name: String, _ value: String) {
        buffer.writeString(name)
        buffer.writeStaticString(": ")
        buffer.writeString(value)
        buffer.writeStaticString("\r\n")
    }

    /// The client's head for a proxied response. `chunkedPassthrough` re-declares the chunked framing the raw
    /// body bytes carry; `close` adds `Connection: close`; `keepAlive10` answers an HTTP/1.0 keep-alive client.
    /// `room` is added to the buffer's capacity for bytes the caller appends (a small body riding in the same write).
    static func proxiedHead(_ allocator: ByteBufferAllocator, upstream head: UpstreamResponseHead, version: HTTPVersion,
                            requestId: String, stageHeaders: [(name: String, value: String)] = [],
                            chunkedPassthrough: Bool, close: Bool, keepAlive10: Bool, room: Int = 0) -> ByteBuffer {
        let bound = proxiedHeadBound(upstream: head, requestId: requestId, stageHeaders: stageHeaders) + room
        return HeadBytesWriter.buffer(allocator, bound: bound) { out in
            out.append(version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
            head.bytes.withUnsafeReadableBytes { raw in
                out.append(UnsafeRawBufferPointer(rebasing: raw[head.statusText]))
                out.append("\r\n")
                for (line, nameLength) in head.lines where keeps(raw, line.lowerBound, nameLength, head) {
                    out.append(UnsafeRawBufferPointer(rebasing: raw[line]))
                    out.append("\r\n")
                }
            }
            if chunkedPassthrough { out.append("transfer-encoding: chunked\r\n") }
            out.append("x-request-id: ")
            out.append(requestId)
            out.append("\r\n")
            for (name, value) in stageHeaders {
                out.append(name)
                out.append(": ")
                out.append(value)
                out.append("\r\n")
            }
            if close {
                out.append("connection: close\r\n")
            } else if keepAlive10 {
                out.append("connection: keep-alive\r\n")
            }
            out.append("\r\n")
        }
    }

    /// The most bytes `proxiedHead` writes: the upstream's head bounds its status text and kept lines with their
    /// CRLFs; the gateway's own lines are over-counted.
    private static func proxiedHeadBound(upstream head: UpstreamResponseHead, requestId: String,
                                 stageHeaders: [(name: String, value: String)]) -> Int {
        var bound = 128 + head.bytes.readableBytes + requestId.utf8.count
        for (name, value) in stageHeaders { bound += name.utf8.count + value.utf8.count + 4 }
        return bound
    }

    /// The HTTP/2 form of `proxiedHead`: the same header lines kept, as fields for the stream codec (which
    /// lower-cases names for HPACK). h2 has no connection headers, so there is no close or keep-alive to say.
    static func proxiedHeaders(upstream head: UpstreamResponseHead, requestId: String) -> HTTPHeaders {
        var fields: [(String, String)] = []
        fields.reserveCapacity(head.lines.count + 1)
        // Names lower-cased as they are copied (h2 requires it), so the stream codec has nothing to redo.
        forEachKeptField(of: head, lowercaseNames: true) { name, value in fields.append((name, value)) }
        fields.append(("x-request-id", requestId))
        return HTTPHeaders(fields)
    }

    /// The upstream's fields that reach the client (see `keeps`), as name and value without surrounding
    /// whitespace: HTTP/2 heads and the response cache read them this way.
    static func forEachKeptField(of head: UpstreamResponseHead, lowercaseNames: Bool = false,
                                 _ body: (_ name: String, _ value: String) -> Void) {
        head.bytes.withUnsafeReadableBytes { raw in
            for (line, nameLength) in head.lines where keeps(raw, line.lowerBound, nameLength, head) {
                var valueStart = line.lowerBound + nameLength + 1
                var valueEnd = line.upperBound
                while valueStart < valueEnd, raw[valueStart] == 32 || raw[valueStart] == 9 { valueStart += 1 }
                while valueEnd > valueStart, raw[valueEnd - 1] == 32 || raw[valueEnd - 1] == 9 { valueEnd -= 1 }
                let name = UnsafeRawBufferPointer(rebasing: raw[line.lowerBound..<(line.lowerBound + nameLength)])
                body(lowercaseNames ? lowercased(name) : String(decoding: name, as: UTF8.self),
                     String(decoding: raw[valueStart..<valueEnd], as: UTF8.self))
            }
        }
    }

    /// A header name (token bytes) in lower case, built in one pass.
    private static func lowercased(_ name: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: name.count) { out in
            for (i, byte) in name.enumerated() { out[i] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
            return name.count
        }
    }

    /// Whether an upstream header line reaches the client: not hop-by-hop, not nominated by `Connection`, and
    /// not `X-Request-Id` (the gateway's own id replaces it). Names of other lengths skip the list at once.
    private static func keeps(_ raw: UnsafeRawBufferPointer, _ start: Int, _ nameLength: Int,
                              _ head: UpstreamResponseHead) -> Bool {
        if hopByHopLengths.contains(nameLength) && matchesAny(raw, start, nameLength, ForwardingHeaders.hopByHop) {
            return false
        }
        if nameLength == 12 && matchesAny(raw, start, nameLength, ["x-request-id"]) { return false }
        if !head.connectionTokens.isEmpty && matchesAny(raw, start, nameLength, head.connectionTokens) { return false }
        return true
    }

    /// The lengths of the hop-by-hop names, as a bit set (all are shorter than 64 bytes).
    private static let hopByHopLengths = LengthSet(ForwardingHeaders.hopByHop)

    /// Whether the header name at `start` equals one of `names` (lower case), ASCII case-insensitively.
    private static func matchesAny(_ raw: UnsafeRawBufferPointer, _ start: Int, _ length: Int, _ tokens: [String]) -> Bool {
        for token in tokens where token.utf8.count == length {
            var equal = true
            for (k, byte) in token.utf8.enumerated() where (raw[start + k] | 0x20) != (byte | 0x20) {
                equal = false
                break
            }
            if equal { return true }
        }
        return false
    }
}

/// A set of small lengths as one bit mask: a name's length rules most lists out before any byte is compared.
struct LengthSet {
    private let bits: UInt64

    init(_ names: [String]) {
        bits = names.reduce(0) { $0 | ($1.utf8.count < 64 ? 1 << UInt64($1.utf8.count) : 0) }
    }

    @inline(__always)
    func contains(_ length: Int) -> Bool { length < 64 && bits & (1 << UInt64(length)) != 0 }
}
