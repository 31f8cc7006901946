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
        buffer.writeString(String(arguments.count))
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
                let text = String(value)
                writeBulkHeader(text.utf8.count, &buffer)
                buffer.writeString(text)
            }
            buffer.writeStaticString("\r\n")
        }
    }

    private static func writeBulkHeader(_ length: Int, _ buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "$"))
        buffer.writeString(String(length))
        buffer.writeStaticString("\r\n")
    }
}
