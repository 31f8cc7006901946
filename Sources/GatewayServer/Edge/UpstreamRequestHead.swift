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
    func write(to buffer: inout ByteBuffer, target: UpstreamTarget) {
        buffer.writeString(method.rawValue)
        buffer.writeInteger(UInt8(ascii: " "))
        if target.basePath.isEmpty && path.isEmpty { buffer.writeInteger(UInt8(ascii: "/")) }
        buffer.writeRequestTargetPiece(Substring(target.basePath))
        buffer.writeRequestTargetPiece(path)
        if let query {
            buffer.writeInteger(UInt8(ascii: "?"))
            buffer.writeRequestTargetPiece(query)
        }
        buffer.writeStaticString(" HTTP/1.1\r\nhost: ")
        buffer.writeFieldValue(target.authority)
        buffer.writeStaticString("\r\n")

        let nominated = ForwardingHeaders.connectionNominated(clientHeaders)
        var sentContentLength = false
        for (name, value) in clientHeaders where ForwardingHeaders.forwards(name, nominated: nominated) {
            if name.utf8.count == 14 && name.equalsASCIICaseInsensitive("content-length") { sentContentLength = true }
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        if forwarding.chunkedBody {
            buffer.writeStaticString("transfer-encoding: chunked\r\n")
        } else if !sentContentLength && Self.definesContent(method) {
            // RFC 9110 §8.6: a request whose method gives content a meaning says so even when it has none.
            buffer.writeStaticString("content-length: 0\r\n")
        }
        buffer.writeStaticString("x-forwarded-for: ")
        buffer.writeFieldValue(forwarding.forwardedFor)
        buffer.writeStaticString("\r\nx-forwarded-proto: ")
        buffer.writeFieldValue(forwarding.forwardedProto)
        if let host = forwarding.forwardedHost {
            buffer.writeStaticString("\r\nx-forwarded-host: ")
            buffer.writeFieldValue(host)
        }
        buffer.writeStaticString("\r\nx-request-id: ")
        buffer.writeFieldValue(forwarding.requestId)
        buffer.writeStaticString("\r\n\r\n")
    }

    /// Methods whose request content has a defined meaning (NIO's encoder framed these even without a body).
    private static func definesContent(_ method: HTTPMethod) -> Bool {
        switch method {
        case .POST, .PUT, .PATCH: return true
        default: return false
        }
    }
}

extension ByteBuffer {
    /// A header value the gateway inserts: CR, LF and NUL become SP (RFC 9110 §5.5), so it can never start a
    /// new header line. Values are short; the check is one pass over contiguous bytes before a single copy.
    mutating func writeFieldValue(_ value: some StringProtocol) {
        writeUTF8(of: value) { $0 == 13 || $0 == 10 || $0 == 0 } escape: { buffer, _ in
            buffer.writeInteger(UInt8(ascii: " "))
        }
    }

    /// Part of a request target: control bytes, SP and DEL are percent-encoded, so a configured base path or
    /// template can never split the request line.
    mutating func writeRequestTargetPiece(_ piece: some StringProtocol) {
        writeUTF8(of: piece) { $0 <= 0x20 || $0 == 0x7F } escape: { buffer, byte in
            let hex: StaticString = "0123456789ABCDEF"
            buffer.writeInteger(UInt8(ascii: "%"))
            buffer.writeInteger(hex.utf8Start[Int(byte >> 4)])
            buffer.writeInteger(hex.utf8Start[Int(byte & 0xF)])
        }
    }

    /// Copies `text`'s UTF-8 in one piece when no byte needs escaping (the usual case, checked over contiguous
    /// storage without a per-byte write), else byte by byte with `escape` writing the ones that do.
    private mutating func writeUTF8(of text: some StringProtocol, needsEscape: (UInt8) -> Bool,
                                    escape: (inout ByteBuffer, UInt8) -> Void) {
        let copied: Bool? = text.utf8.withContiguousStorageIfAvailable { bytes in
            guard !bytes.contains(where: needsEscape) else { return false }
            writeBytes(UnsafeRawBufferPointer(bytes))
            return true
        }
        if copied == true { return }
        for byte in text.utf8 {
            if needsEscape(byte) { escape(&self, byte) } else { writeInteger(byte) }
        }
    }
}
