extension JSONInstance {
    /// Parses strict RFC 8259 JSON (no comments, no trailing commas, no leading zeros, valid UTF-8, one value).
    ///
    /// A key repeated within one object is an error: a gateway must not validate one value while the upstream
    /// reads another. Nesting deeper than `maxDepth` is an error, so hostile input cannot exhaust the stack.
    public static func parse(_ bytes: some Collection<UInt8>, maxDepth: Int = 512) throws(JSONParseError) -> JSONInstance {
        let contiguous = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) in try parse(buffer: buffer, maxDepth: maxDepth) }
        }
        if let contiguous { return try contiguous.get() }
        return try Array(bytes).withUnsafeBufferPointer { buffer throws(JSONParseError) in
            try parse(buffer: buffer, maxDepth: maxDepth)
        }
    }

    /// Parses bytes in place (a request body in the gateway's buffer): no copy.
    public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 512) throws(JSONParseError) -> JSONInstance {
        try parse(buffer: bytes.assumingMemoryBound(to: UInt8.self), maxDepth: maxDepth)
    }

    /// Parses JSON text given as a `String`.
    public static func parse(_ text: String, maxDepth: Int = 512) throws(JSONParseError) -> JSONInstance {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }

    private static func parse(buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int) throws(JSONParseError) -> JSONInstance {
        var parser = JSONParser(bytes: buffer, maxDepth: maxDepth)
        return try parser.parseDocument()
    }
}

/// Recursive-descent parser over bytes it borrows for the duration of one parse (so reads are unchecked in release
/// builds and the input is never copied); recursion depth is bounded by `maxDepth`.
///
/// Containers start with room for a few members (growing from empty would reallocate them several times) and are
/// handed over as they are: collecting members elsewhere and copying them costs a copy and a destroy per value.
struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var position = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONInstance {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard position == bytes.count else { throw error("unexpected data after the JSON value") }
        return value
    }

    private mutating func skipWhitespace() {
        while position < bytes.count, JSONSyntax.isWhitespace(bytes[position]) { position += 1 }
    }

    private func error(_ message: String, at offset: Int? = nil) -> JSONParseError {
        let offset = min(offset ?? position, bytes.count)
        var line = 1
        var lineStart = 0
        for index in 0..<offset where bytes[index] == 0x0A {
            line += 1
            lineStart = index + 1
        }
        return JSONParseError(message: message, offset: offset, line: line, column: offset - lineStart + 1)
    }

    private mutating func parseValue() throws(JSONParseError) -> JSONInstance {
        guard position < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString().text)
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character '\(printable(bytes[position]))', expected a value")
        }
    }

    private func printable(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : "\\u{\(String(byte, radix: 16))}"
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let matches = literal.withUTF8Buffer { expected in
            position + count <= bytes.count && (0..<count).allSatisfy { bytes[position + $0] == expected[$0] }
        }
        guard matches else { throw error("invalid literal, expected '\(literal)'") }
        position += count
    }

    private mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
    }

    /// Members a container has room for when it opens.
    private static let initialCapacity = 8

    private mutating func parseArray() throws(JSONParseError) -> JSONInstance {
        try enterContainer()
        position += 1
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array([])
        }
        var elements: [JSONInstance] = []
        elements.reserveCapacity(Self.initialCapacity)
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of input in an array") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; break }
            throw error("expected ',' or ']' in an array")
        }
        depth -= 1
        return .array(elements)
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONInstance {
        try enterContainer()
        position += 1
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object(JSONObject())
        }
        var members: [JSONObject.Member] = []
        members.reserveCapacity(Self.initialCapacity)
        /// Built once the object passes `JSONObject.indexThreshold` members, then only added to.
        var largeObjectKeys: Set<ExactKey>?
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw error("expected a string key in an object")
            }
            let keyOffset = position
            let (key, unescapedBytes) = try parseString()
            let tag = unescapedBytes.map { span in
                KeyTag(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[span])))
            } ?? KeyTag(key)
            if isDuplicate(key, tag, in: members, largeObjectKeys: &largeObjectKeys) {
                throw error("duplicate key \"\(key)\"", at: keyOffset)
            }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                throw error("expected ':' after an object key")
            }
            position += 1
            skipWhitespace()
            let value = try parseValue()
            members.append(JSONObject.Member(key: key, tag: tag, value: value))
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of input in an object") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; break }
            throw error("expected ',' or '}' in an object")
        }
        depth -= 1
        return .object(JSONObject(distinctMembers: members))
    }

    /// Whether the object being read, with `members` so far, already has `key`: a scan over tags while it is small,
    /// then a set of its own (built once, so nested objects never make an outer one rebuild it).
    private func isDuplicate(_ key: String, _ tag: KeyTag, in members: [JSONObject.Member],
                             largeObjectKeys: inout Set<ExactKey>?) -> Bool {
        if members.count <= JSONObject.indexThreshold {
            for member in members where member.tag.matches(tag, member.key, key) { return true }
            return false
        }
        if largeObjectKeys == nil { largeObjectKeys = Set(members.lazy.map { ExactKey($0.key) }) }
        return !largeObjectKeys!.insert(ExactKey(key)).inserted
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = position
        while position < bytes.count, JSONSyntax.isNumberByte(bytes[position]) { position += 1 }
        guard let number = JSONNumber.parse(UnsafeBufferPointer(rebasing: bytes[start..<position])) else {
            throw error("invalid number", at: start)
        }
        return number
    }


    /// A string's text, and where its bytes lie in `bytes` when it has no escapes (they are then its UTF-8 as is,
    /// so a key's tag is computed in place).
    private mutating func parseString() throws(JSONParseError) -> (text: String, unescapedBytes: Range<Int>?) {
        position += 1
        let start = position
        // Fast path: no escapes. Pure ASCII (most keys and values) needs no UTF-8 validation, and decoding it from
        // contiguous bytes is a specialised copy; `String(validating:)` is generic and costs a metadata lookup and
        // a slower scan per string, a fifth of the parse time of a typical body.
        var highBits: UInt8 = 0
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let end = position
                position += 1
                if highBits < 0x80 {
                    return (String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self), start..<end)
                }
                guard let text = String(validating: bytes[start..<end], as: UTF8.self) else {
                    throw error("invalid UTF-8 in a string", at: start)
                }
                return (text, start..<end)
            }
            highBits |= byte
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("unescaped control character in a string") }
            position += 1
        }
        var scalars: [UInt8] = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                guard let text = String(validating: scalars, as: UTF8.self) else {
                    throw error("invalid UTF-8 in a string", at: start)
                }
                return (text, nil)
            }
            if byte < 0x20 { throw error("unescaped control character in a string") }
            if byte != UInt8(ascii: "\\") {
                scalars.append(byte)
                position += 1
                continue
            }
            switch JSONEscape.decode(bytes, at: &position, into: &scalars) {
            case nil: continue
            case .unterminated: throw error("unterminated string", at: start - 1)
            case .unknown(let escape): throw error("invalid escape '\\\(printable(escape))' in a string", at: position - 2)
            case .truncatedHex: throw error("truncated \\u escape")
            case .invalidHex: throw error("invalid hex digit in a \\u escape")
            case .loneSurrogate: throw error("unpaired UTF-16 surrogate in a \\u escape")
            }
        }
        throw error("unterminated string", at: start - 1)
    }
}
