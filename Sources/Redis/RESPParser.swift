#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// Why a byte stream is not RESP the client can accept. The connection it came from cannot be trusted afterwards.
public struct RESPError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// An incremental RESP2/RESP3 reply parser with bounds, for bytes that arrive in pieces.
///
/// Aggregates are kept on an explicit stack between reads, so a large array that arrives over many reads is parsed
/// once (re-parsing from its start on every read would be quadratic). Every length a server sends is checked
/// against `Limits` before anything is allocated for it, and a reply's total size is capped.
public struct RESPParser {
    public struct Limits: Sendable {
        /// Longest bulk string accepted (Redis' own default maximum is 512 MB).
        public var maxBulkLength = 64 * 1024 * 1024
        /// Most elements in one array, set, push or map (pairs count twice).
        public var maxAggregateCount = 1 << 20
        /// Deepest nesting of aggregates.
        public var maxDepth = 32
        /// Longest simple line (status, error, number, length header).
        public var maxLineLength = 64 * 1024
        /// Most bytes one whole reply may take.
        public var maxReplyBytes = 256 * 1024 * 1024

        public init() {}
    }

    private enum Aggregate { case array, set, push, map }

    private struct Frame {
        let kind: Aggregate
        var remaining: Int
        var elements: [RESPValue]

        func value() -> RESPValue {
            switch kind {
            case .array: return .array(elements)
            case .set: return .set(elements)
            case .push: return .push(elements)
            case .map:
                return .map(stride(from: 0, to: elements.count, by: 2).map { (key: elements[$0], value: elements[$0 + 1]) })
            }
        }
    }

    private enum Item {
        case value(RESPValue)
        case aggregate(Aggregate, count: Int)
    }

    public let limits: Limits
    private var stack: [Frame] = []
    private var replyBytes = 0

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// The next complete reply, consumed from `buffer`; nil when more bytes are needed (what was complete so far
    /// is kept). After an error the parser must not be used again.
    public mutating func next(from buffer: inout ByteBuffer) throws(RESPError) -> RESPValue? {
        while true {
            let before = buffer.readerIndex
            guard let item = try parseItem(&buffer) else { return nil }
            replyBytes += buffer.readerIndex - before
            guard replyBytes <= limits.maxReplyBytes else {
                throw RESPError(message: "reply larger than \(limits.maxReplyBytes) bytes")
            }
            var value: RESPValue
            switch item {
            case .value(let scalar):
                value = scalar
            case .aggregate(let kind, let count):
                if count == 0 {
                    value = Frame(kind: kind, remaining: 0, elements: []).value()
                } else {
                    guard stack.count < limits.maxDepth else {
                        throw RESPError(message: "replies nested deeper than \(limits.maxDepth)")
                    }
                    // Capacity grows with what arrives, never with what a header claims.
                    stack.append(Frame(kind: kind, remaining: count, elements: []))
                    continue
                }
            }
            while let last = stack.indices.last {
                stack[last].elements.append(value)
                stack[last].remaining -= 1
                guard stack[last].remaining == 0 else { break }
                value = stack.removeLast().value()
            }
            if stack.isEmpty {
                replyBytes = 0
                return value
            }
        }
    }

    /// One scalar or aggregate header at the reader index, consumed only when complete.
    private func parseItem(_ buffer: inout ByteBuffer) throws(RESPError) -> Item? {
        guard let type: UInt8 = buffer.getInteger(at: buffer.readerIndex) else { return nil }
        guard let lineEnd = try lineEnd(in: buffer) else { return nil }
        let lineStart = buffer.readerIndex + 1
        let line = buffer.getSlice(at: lineStart, length: lineEnd - lineStart)!
        let afterLine = lineEnd + 2
        var consumed = afterLine - buffer.readerIndex
        let item: Item
        switch type {
        case UInt8(ascii: "+"): item = .value(.simpleString(String(buffer: line)))
        case UInt8(ascii: "-"): item = .value(.error(String(buffer: line)))
        case UInt8(ascii: ":"): item = .value(.integer(try Self.integer(line)))
        case UInt8(ascii: "("):
            _ = try Self.digits(line, allowSign: true)
            item = .value(.bigNumber(String(buffer: line)))
        case UInt8(ascii: "_"):
            guard line.readableBytes == 0 else { throw RESPError(message: "null with a payload") }
            item = .value(.null)
        case UInt8(ascii: "#"):
            switch String(buffer: line) {
            case "t": item = .value(.boolean(true))
            case "f": item = .value(.boolean(false))
            default: throw RESPError(message: "invalid boolean")
            }
        case UInt8(ascii: ","):
            guard let double = Self.double(line) else { throw RESPError(message: "invalid double") }
            item = .value(.double(double))
        case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
            let length = try Self.integer(line)
            if length == -1 && type == UInt8(ascii: "$") {
                item = .value(.null)
                break
            }
            guard length >= 0, length <= limits.maxBulkLength else {
                throw RESPError(message: "bulk length \(length) outside 0...\(limits.maxBulkLength)")
            }
            let payloadLength = Int(length)
            guard buffer.writerIndex - afterLine >= payloadLength + 2 else { return nil }
            guard buffer.getInteger(at: afterLine + payloadLength, as: UInt16.self) == 0x0D0A else {
                throw RESPError(message: "bulk string not followed by CRLF")
            }
            let payload = buffer.getSlice(at: afterLine, length: payloadLength)!
            consumed += payloadLength + 2
            if type == UInt8(ascii: "$") {
                item = .value(.bulkString(payload))
            } else if type == UInt8(ascii: "!") {
                item = .value(.error(String(buffer: payload)))
            } else {
                guard payloadLength >= 4, payload.getInteger(at: payload.readerIndex + 3, as: UInt8.self) == UInt8(ascii: ":") else {
                    throw RESPError(message: "verbatim string without a format")
                }
                item = .value(.verbatimString(format: String(buffer: payload.getSlice(at: payload.readerIndex, length: 3)!),
                                              text: payload.getSlice(at: payload.readerIndex + 4, length: payloadLength - 4)!))
            }
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"):
            let count = try Self.integer(line)
            if count == -1 && type == UInt8(ascii: "*") {
                item = .value(.null)
                break
            }
            let isMap = type == UInt8(ascii: "%")
            guard count >= 0, count <= limits.maxAggregateCount / (isMap ? 2 : 1) else {
                throw RESPError(message: "aggregate count \(count) outside 0...\(limits.maxAggregateCount)")
            }
            let kind: Aggregate = switch type {
            case UInt8(ascii: "*"): .array
            case UInt8(ascii: "~"): .set
            case UInt8(ascii: ">"): .push
            default: .map
            }
            item = .aggregate(kind, count: Int(count) * (isMap ? 2 : 1))
        case UInt8(ascii: "|"):
            throw RESPError(message: "RESP3 attributes are not accepted")
        default:
            throw RESPError(message: "unknown reply type byte \(type)")
        }
        buffer.moveReaderIndex(forwardBy: consumed)
        return item
    }

    /// Index of the CR that ends the line starting at the reader index, nil if it has not arrived. A lone CR or LF
    /// inside the line, or a line longer than `maxLineLength`, is refused.
    private func lineEnd(in buffer: ByteBuffer) throws(RESPError) -> Int? {
        let start = buffer.readerIndex
        let window = min(buffer.readableBytes, limits.maxLineLength + 3)
        let found: Int? = buffer.withUnsafeReadableBytes { raw in
            guard let base = raw.baseAddress, window > 0,
                  let hit = memchr(base, 10, window) else { return nil }
            return base.distance(to: UnsafeRawPointer(hit))
        }
        guard let lf = found else {
            if buffer.readableBytes > limits.maxLineLength + 2 {
                throw RESPError(message: "line longer than \(limits.maxLineLength) bytes")
            }
            return nil
        }
        guard lf >= 2, buffer.getInteger(at: start + lf - 1, as: UInt8.self) == 13 else {
            throw RESPError(message: "line not ended by CRLF")
        }
        if buffer.getSlice(at: start + 1, length: lf - 2)!.readableBytesView.contains(13) {
            throw RESPError(message: "bare CR in a line")
        }
        return start + lf - 1
    }

    /// A signed decimal that fits in 64 bits: no spaces, no empty digits.
    static func integer(_ line: ByteBuffer) throws(RESPError) -> Int64 {
        try digits(line, allowSign: true)
        guard let value = Int64(String(buffer: line)) else { throw RESPError(message: "integer out of range") }
        return value
    }

    @discardableResult
    static func digits(_ line: ByteBuffer, allowSign: Bool) throws(RESPError) -> Bool {
        var view = line.readableBytesView[...]
        if allowSign, let first = view.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { view = view.dropFirst() }
        guard !view.isEmpty, view.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { throw RESPError(message: "invalid number") }
        return true
    }

    /// RESP3 doubles: a decimal with optional exponent, or `inf`, `-inf`, `nan`.
    static func double(_ line: ByteBuffer) -> Double? {
        let text = String(buffer: line)
        switch text {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case "nan": return .nan
        default:
            guard !text.isEmpty, text.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 43 || $0 == 45 || $0 == 46 || $0 == 101 || $0 == 69 })
            else { return nil }
            return Double(text)
        }
    }
}
