import NIOCore

/// The chunked transfer coding (RFC 9112 §7.1) for request bodies sent upstream: body buffers pass through
/// untouched between a size line and a CRLF, so framing never copies the payload.
public enum ChunkedRequestFraming {
    /// 16 hex digits (any `Int`) plus CRLF.
    public static let maxSizeLineLength = 18
    /// Ends every chunk's data. Shared: a write only retains its storage.
    public static let chunkEnd = ByteBuffer(string: "\r\n")
    /// The last chunk and the empty trailer section that end a chunked body.
    public static let lastChunk = ByteBuffer(string: "0\r\n\r\n")

    /// Writes `size` in lower-case hex, then CRLF. `size` must be positive: a zero-size chunk ends the body.
    public static func writeSizeLine(_ buffer: inout ByteBuffer, size: Int) {
        precondition(size > 0, "a zero-size chunk would end the body")
        var shift = (Int.bitWidth - size.leadingZeroBitCount - 1) / 4 * 4
        while shift >= 0 {
            let digit = UInt8((size >> shift) & 0xF)
            buffer.writeInteger(digit < 10 ? digit + 48 : digit + 87)
            shift -= 4
        }
        buffer.writeInteger(UInt8(ascii: "\r"))
        buffer.writeInteger(UInt8(ascii: "\n"))
    }
}
