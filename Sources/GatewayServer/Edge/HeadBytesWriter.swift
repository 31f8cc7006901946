import NIOCore

/// Writes an HTTP head into a ByteBuffer's free space through a raw pointer, with one capacity check for the whole
/// head: a head is 20–40 small pieces, and each `ByteBuffer.write…` call costs its own capacity and uniqueness checks
/// (about a tenth of a proxied request's instructions went there).
struct HeadBytesWriter {
    private let base: UnsafeMutableRawPointer
    private let capacity: Int
    private(set) var count = 0

    /// A new buffer holding what `body` writes, allocated at `bound` bytes: one allocation, no growth. `bound`
    /// must cover everything `body` writes; writing past it traps instead of corrupting memory.
    static func buffer(_ allocator: ByteBufferAllocator, bound: Int, _ body: (inout HeadBytesWriter) -> Void) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: bound)
        // No minimum: the fresh buffer's whole capacity is writable, and asking again would check (or grow) it.
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { free in
            var writer = HeadBytesWriter(base: free.baseAddress!, capacity: free.count)
            body(&writer)
            return writer.count
        }
        return buffer
    }

    private init(base: UnsafeMutableRawPointer, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    @inline(__always)
    private mutating func reserve(_ n: Int) -> UnsafeMutableRawPointer {
        precondition(count + n <= capacity, "head larger than its bound")
        defer { count += n }
        return base + count
    }

    mutating func append(_ text: StaticString) {
        reserve(text.utf8CodeUnitCount).copyMemory(from: text.utf8Start, byteCount: text.utf8CodeUnitCount)
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let start = bytes.baseAddress else { return }
        reserve(bytes.count).copyMemory(from: start, byteCount: bytes.count)
    }

    mutating func append(byte: UInt8) {
        reserve(1).storeBytes(of: byte, as: UInt8.self)
    }

    /// Text the peer's parser has already validated (a client header name or value): copied as it is.
    /// (Concrete `String` and `Substring` overloads: a generic one allocated per call in debug builds, which the
    /// allocation budget test counts.)
    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    mutating func append(_ text: Substring) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// A header value the gateway inserts: CR, LF and NUL become SP (RFC 9110 §5.5), so it can never start a
    /// new header line. At most `text.utf8.count` bytes.
    mutating func appendFieldValue(_ text: String) {
        var text = text
        text.withUTF8 { appendFieldValue(bytes: $0) }
    }

    mutating func appendFieldValue(_ text: Substring) {
        var text = text
        text.withUTF8 { appendFieldValue(bytes: $0) }
    }

    private mutating func appendFieldValue(bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) else { return append(UnsafeRawBufferPointer(bytes)) }
        for byte in bytes { append(byte: byte == 13 || byte == 10 || byte == 0 ? 32 : byte) }
    }

    /// Part of a request target: control bytes, SP and DEL are percent-encoded, so a configured base path or
    /// template can never split the request line. At most `3 * text.utf8.count` bytes.
    mutating func appendTargetPiece(_ text: String) {
        var text = text
        text.withUTF8 { appendTargetPiece(bytes: $0) }
    }

    mutating func appendTargetPiece(_ text: Substring) {
        var text = text
        text.withUTF8 { appendTargetPiece(bytes: $0) }
    }

    private mutating func appendTargetPiece(bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { return append(UnsafeRawBufferPointer(bytes)) }
        let hex: StaticString = "0123456789ABCDEF"
        for byte in bytes {
            if byte <= 0x20 || byte == 0x7F {
                append(byte: UInt8(ascii: "%"))
                append(byte: hex.utf8Start[Int(byte >> 4)])
                append(byte: hex.utf8Start[Int(byte & 0xF)])
            } else {
                append(byte: byte)
            }
        }
    }

    /// A non-negative decimal.
    mutating func append(decimal value: Int) {
        var digits = 1
        var rest = value / 10
        while rest > 0 { digits += 1; rest /= 10 }
        let start = reserve(digits)
        var v = value
        for k in stride(from: digits - 1, through: 0, by: -1) {
            start.storeBytes(of: UInt8(48 + v % 10), toByteOffset: k, as: UInt8.self)
            v /= 10
        }
    }
}
