import GatewayCore
import NIOCore
import NIOHTTP1

/// The request sent upstream, kept as the pieces it is made of and serialised straight into one buffer: no
/// `HTTPHeaders` rebuild and no encoder. Written per connection attempt, so a retry to another target (its own
/// `Host` and base path) re-serialises. Which client headers cross is `ForwardingHeaders`' rule.
struct UpstreamRequestHead {
    let method: HTTPMethod
    /// Appended to the target's base path: the routed path ("" for "/") or a rendered path template.
    let path: Substring
    let query: Substring?
    /// The client's headers as NIO's parser validated them (no CR, LF or NUL).
    let clientHeaders: HTTPHeaders
    let forwarding: ForwardingHeaders.RequestContext

    var chunkedBody: Bool { forwarding.chunkedBody }

    /// Request line, `Host`, the forwarded client headers, framing and the gateway's own headers, then the
    /// blank line. Everything the gateway inserts is written so that it cannot end a line or the request line.
    func bytes(for target: UpstreamTarget, allocator: ByteBufferAllocator) -> ByteBuffer {
        let nominated = ForwardingHeaders.connectionNominated(clientHeaders)
        return HeadBytesWriter.buffer(allocator, bound: byteBound(for: target)) { head in
            head.append(method.rawValue)
            head.append(byte: UInt8(ascii: " "))
            if target.basePath.isEmpty && path.isEmpty { head.append(byte: UInt8(ascii: "/")) }
            head.appendTargetPiece(target.basePath)
            head.appendTargetPiece(path)
            if let query {
                head.append(byte: UInt8(ascii: "?"))
                head.appendTargetPiece(query)
            }
            head.append(" HTTP/1.1\r\nhost: ")
            head.appendFieldValue(target.authority)
            head.append("\r\n")

            var sentContentLength = false
            for (name, value) in clientHeaders where ForwardingHeaders.forwards(name, nominated: nominated) {
                if name.utf8.count == 14 && name.equalsASCIICaseInsensitive("content-length") { sentContentLength = true }
                head.append(name)
                head.append(": ")
                head.append(value)
                head.append("\r\n")
            }
            if forwarding.chunkedBody {
                head.append("transfer-encoding: chunked\r\n")
            } else if !sentContentLength && Self.definesContent(method) {
                // RFC 9110 §8.6: a request whose method gives content a meaning says so even when it has none.
                head.append("content-length: 0\r\n")
            }
            head.append("x-forwarded-for: ")
            head.appendFieldValue(forwarding.forwardedFor)
            head.append("\r\nx-forwarded-proto: ")
            head.appendFieldValue(forwarding.forwardedProto)
            if let host = forwarding.forwardedHost {
                head.append("\r\nx-forwarded-host: ")
                head.appendFieldValue(host)
            }
            head.append("\r\nx-request-id: ")
            head.appendFieldValue(forwarding.requestId)
            head.append("\r\n\r\n")
        }
    }

    /// The most bytes the head can take for `target`: target pieces may triple when percent-encoded, every
    /// client header counts as forwarded, and the fixed parts are over-counted.
    private func byteBound(for target: UpstreamTarget) -> Int {
        var bound = 256 + method.rawValue.utf8.count + target.authority.utf8.count
            + 3 * (target.basePath.utf8.count + path.utf8.count + (query?.utf8.count ?? 0))
            + forwarding.forwardedFor.utf8.count + forwarding.forwardedProto.utf8.count
            + (forwarding.forwardedHost?.utf8.count ?? 0) + forwarding.requestId.utf8.count
        for (name, value) in clientHeaders { bound += name.utf8.count + value.utf8.count + 4 }
        return bound
    }

    /// Methods whose request content has a defined meaning (NIO's encoder framed these even without a body).
    private static func definesContent(_ method: HTTPMethod) -> Bool {
        switch method {
        case .POST, .PUT, .PATCH: return true
        default: return false
        }
    }
}
