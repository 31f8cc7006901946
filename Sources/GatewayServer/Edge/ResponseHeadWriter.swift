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
        let phrase = HTTPResponseStatus(statusCode: status).reasonPhrase
        buffer.writeString(String(status))
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
    static func writeProxiedHead(_ buffer: inout ByteBuffer, upstream head: UpstreamResponseHead, version: HTTPVersion,
                                 requestId: String, chunkedPassthrough: Bool, close: Bool, keepAlive10: Bool) {
        let view = head.bytes.readableBytesView
        let base = view.startIndex
        buffer.writeStaticString(version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        buffer.writeBytes(view[(base + head.statusText.lowerBound)..<(base + head.statusText.upperBound)])
        buffer.writeStaticString("\r\n")
        for (line, nameLength) in head.lines {
            if matchesAny(view, line.lowerBound, nameLength, ForwardingHeaders.hopByHop) { continue }
            if nameLength == 12 && UpstreamResponseHeadParser.nameEquals(view, line.lowerBound, "x-request-id") { continue }
            if !head.connectionTokens.isEmpty && matchesAny(view, line.lowerBound, nameLength, head.connectionTokens) {
                continue
            }
            buffer.writeBytes(view[(base + line.lowerBound)..<(base + line.upperBound)])
            buffer.writeStaticString("\r\n")
        }
        if chunkedPassthrough { buffer.writeStaticString("transfer-encoding: chunked\r\n") }
        buffer.writeStaticString("x-request-id: ")
        buffer.writeString(requestId)
        buffer.writeStaticString("\r\n")
        if close {
            buffer.writeStaticString("connection: close\r\n")
        } else if keepAlive10 {
            buffer.writeStaticString("connection: keep-alive\r\n")
        }
        buffer.writeStaticString("\r\n")
    }

    /// Whether the header name at `start` equals one of `names`, ASCII case-insensitively.
    private static func matchesAny(_ view: ByteBufferView, _ start: Int, _ length: Int, _ tokens: [String]) -> Bool {
        let base = view.startIndex
        for token in tokens where token.utf8.count == length {
            var equal = true
            for (k, byte) in token.utf8.enumerated() where (view[base + start + k] | 0x20) != (byte | 0x20) {
                equal = false
                break
            }
            if equal { return true }
        }
        return false
    }
}
