import NIOCore

/// One reply from a Redis server, RESP2 or RESP3. Bulk payloads stay `ByteBuffer` slices of what was read: no copy
/// and no `String` until a caller asks for one.
public enum RESPValue: Equatable, Sendable {
    case simpleString(String)
    /// `-ERR ...` (and RESP3's `!` blob errors): a reply, not a transport failure.
    case error(String)
    case integer(Int64)
    /// `$-1` in RESP2 and `_` in RESP3.
    case null
    case bulkString(ByteBuffer)
    case array([RESPValue])
    case double(Double)
    case boolean(Bool)
    case bigNumber(String)
    case verbatimString(format: String, text: ByteBuffer)
    case map([(key: RESPValue, value: RESPValue)])
    case set([RESPValue])
    /// Out-of-band data (pub/sub messages in RESP3).
    case push([RESPValue])

    /// The reply as text when it is a string of any kind.
    public var string: String? {
        switch self {
        case .simpleString(let text), .bigNumber(let text): return text
        case .bulkString(let bytes), .verbatimString(_, let bytes): return String(buffer: bytes)
        default: return nil
        }
    }

    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    public var array: [RESPValue]? {
        switch self {
        case .array(let values), .set(let values), .push(let values): return values
        default: return nil
        }
    }

    public var isError: Bool {
        if case .error = self { return true }
        return false
    }

    public static func == (lhs: RESPValue, rhs: RESPValue) -> Bool {
        switch (lhs, rhs) {
        case (.simpleString(let a), .simpleString(let b)), (.error(let a), .error(let b)), (.bigNumber(let a), .bigNumber(let b)):
            return a == b
        case (.integer(let a), .integer(let b)): return a == b
        case (.null, .null): return true
        case (.bulkString(let a), .bulkString(let b)): return a == b
        case (.array(let a), .array(let b)), (.set(let a), .set(let b)), (.push(let a), .push(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b || (a.isNaN && b.isNaN)
        case (.boolean(let a), .boolean(let b)): return a == b
        case (.verbatimString(let f, let t), .verbatimString(let g, let u)): return f == g && t == u
        case (.map(let a), .map(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }
}
