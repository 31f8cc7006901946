import NIOCore

/// One argument of a Redis command: text, raw bytes or a number, all sent as bulk strings.
public enum RESPArgument: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case string(String)
    case bytes(ByteBuffer)
    case integer(Int64)

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

/// Commands as RESP arrays of bulk strings, the only form a client sends (binary-safe: no escaping needed).
public enum RESPEncoder {
    public static func write(_ arguments: [RESPArgument], into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "*"))
        writeDecimal(Int64(arguments.count), &buffer)
        buffer.writeStaticString("\r\n")
        for argument in arguments {
            switch argument {
            case .string(let text):
                writeBulkHeader(text.utf8.count, &buffer)
                buffer.writeString(text)
            case .bytes(var bytes):
                writeBulkHeader(bytes.readableBytes, &buffer)
                buffer.writeBuffer(&bytes)
            case .integer(let value):
                writeBulkInteger(value, &buffer)
            }
            buffer.writeStaticString("\r\n")
        }
    }

    private static func writeBulkHeader(_ length: Int, _ buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "$"))
        writeDecimal(Int64(length), &buffer)
        buffer.writeStaticString("\r\n")
    }

    /// A number as a bulk string, its digits written straight into the buffer (no `String` per argument).
    private static func writeBulkInteger(_ value: Int64, _ buffer: inout ByteBuffer) {
        var digits = 1
        var rest = value.magnitude
        while rest >= 10 { rest /= 10; digits += 1 }
        writeBulkHeader(digits + (value < 0 ? 1 : 0), &buffer)
        writeDecimal(value, &buffer)
    }

    private static func writeDecimal(_ value: Int64, _ buffer: inout ByteBuffer) {
        if value < 0 { buffer.writeInteger(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var count = 0
            repeat {
                digits[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(digits)[(20 - count)...]))
        }
    }
}
