import JSONSchema

/// Why a document is not JSON, where (1-based line and column, counted in characters), and which
/// value was being parsed (RFC 6901 pointer, "" for the document itself).
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let line: Int
    public let column: Int
    /// Byte offset into the input.
    public let offset: Int
    public let pointer: String

    public init(message: String, line: Int, column: Int, offset: Int, pointer: String) {
        self.message = message
        self.line = line
        self.column = column
        self.offset = offset
        self.pointer = pointer
    }

    public var description: String { "invalid JSON at line \(line), column \(column): \(message)" }
}

/// A strict RFC 8259 parser over UTF-8 bytes.
///
/// Iterative (an explicit container stack) so deep documents cannot overflow a small thread stack, and
/// the pointer of the failing value falls out of the stack for free when an error occurs.
public enum JSONParser {
    public static let defaultMaxDepth = 512

    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBufferPointer { buffer in
            var parser = Parser(input: buffer, maxDepth: maxDepth)
            do throws(Failure) {
                return .success(try parser.parseDocument())
            } catch {
                return .failure(parser.makeError(error))
            }
        }
        return try result.get()
    }

    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }
}

private struct Failure: Error {
    let message: String
    let offset: Int
    /// A key below the innermost open container (duplicate-key errors point at the key itself).
    var key: String? = nil
}

/// Open containers are reference types so appending to a large array never copies it.
private final class ArrayFrame {
    var items: [JSONValue] = []
    /// True while a child value is being parsed (it then contributes `items.count` to an error's pointer).
    var inValue = true
}

private final class ObjectFrame {
    var members: [JSONObject.Member] = []
    /// The member whose value is being parsed, when `inValue`.
    var key: String
    var inValue = true
    /// Built once an object grows large, so duplicate detection stays linear overall.
    var index: Set<String>?

    init(key: String) { self.key = key }
}

private enum Frame {
    case array(ArrayFrame)
    case object(ObjectFrame)
}

private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")

private struct Parser {
    let input: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var pos = 0
    var start = 0
    var stack: [Frame] = []

    init(input: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.input = input
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(Failure) -> JSONValue {
        if input.count >= 3, input[0] == 0xEF, input[1] == 0xBB, input[2] == 0xBF {
            pos = 3
            start = 3
        }
        var value: JSONValue
        parsing: while true {
            skipWhitespace()
            guard pos < input.count else { throw Failure(message: "unexpected end of input, expected a value", offset: pos) }
            switch input[pos] {
            case UInt8(ascii: "{"):
                try checkDepth()
                pos += 1
                skipWhitespace()
                if pos < input.count, input[pos] == UInt8(ascii: "}") {
                    pos += 1
                    value = .object(JSONObject(members: []))
                } else {
                    let key = try parseKey(expecting: "a string key or '}'")
                    stack.append(.object(ObjectFrame(key: key)))
                    continue parsing
                }
            case UInt8(ascii: "["):
                try checkDepth()
                pos += 1
                skipWhitespace()
                if pos < input.count, input[pos] == UInt8(ascii: "]") {
                    pos += 1
                    value = .array([])
                } else {
                    stack.append(.array(ArrayFrame()))
                    continue parsing
                }
            case quote:
                value = .string(try parseString())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = .number(try parseNumber())
            case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                value = try parseLiteral()
            case let byte:
                throw Failure(message: "unexpected \(describe(byte)), expected a value\(hint(byte))", offset: pos)
            }

            // Attach the finished value to its parent; close every parent that ends right here.
            while true {
                guard let frame = stack.last else {
                    skipWhitespace()
                    if pos < input.count {
                        throw Failure(message: "unexpected \(describe(input[pos])) after the end of the document", offset: pos)
                    }
                    return value
                }
                switch frame {
                case .array(let array):
                    array.items.append(value)
                    array.inValue = false
                    skipWhitespace()
                    guard pos < input.count else { throw Failure(message: "unexpected end of input, expected ',' or ']'", offset: pos) }
                    if input[pos] == UInt8(ascii: ",") {
                        pos += 1
                        skipWhitespace()
                        if pos < input.count, input[pos] == UInt8(ascii: "]") {
                            throw Failure(message: "trailing comma before ']'", offset: pos)
                        }
                        array.inValue = true
                        continue parsing
                    } else if input[pos] == UInt8(ascii: "]") {
                        pos += 1
                        stack.removeLast()
                        value = .array(array.items)
                    } else {
                        throw Failure(message: "unexpected \(describe(input[pos])), expected ',' or ']'", offset: pos)
                    }
                case .object(let object):
                    object.members.append(JSONObject.Member(key: object.key, value: value))
                    object.inValue = false
                    skipWhitespace()
                    guard pos < input.count else { throw Failure(message: "unexpected end of input, expected ',' or '}'", offset: pos) }
                    if input[pos] == UInt8(ascii: ",") {
                        pos += 1
                        skipWhitespace()
                        if pos < input.count, input[pos] == UInt8(ascii: "}") {
                            throw Failure(message: "trailing comma before '}'", offset: pos)
                        }
                        let keyOffset = pos
                        let next = try parseKey(expecting: "a string key")
                        if isDuplicate(next, in: object) {
                            throw Failure(message: "duplicate key \"\(next)\"", offset: keyOffset, key: next)
                        }
                        object.key = next
                        object.inValue = true
                        continue parsing
                    } else if input[pos] == UInt8(ascii: "}") {
                        pos += 1
                        stack.removeLast()
                        value = .object(JSONObject(members: object.members))
                    } else {
                        throw Failure(message: "unexpected \(describe(input[pos])), expected ',' or '}'", offset: pos)
                    }
                }
            }
        }
    }

    mutating func checkDepth() throws(Failure) {
        if stack.count >= maxDepth {
            throw Failure(message: "nesting is deeper than \(maxDepth) levels", offset: pos)
        }
    }

    /// Small objects are scanned; from 16 members on, a set keeps duplicate detection linear overall.
    func isDuplicate(_ key: String, in object: ObjectFrame) -> Bool {
        if object.index == nil {
            if object.members.count < 16 {
                return object.members.contains { $0.key == key }
            }
            object.index = Set(object.members.map(\.key))
        }
        return !object.index!.insert(key).inserted
    }

    /// Reads `"key"` and the following `:`; `pos` is at the opening quote (whitespace already skipped).
    mutating func parseKey(expecting: String) throws(Failure) -> String {
        guard pos < input.count else { throw Failure(message: "unexpected end of input, expected \(expecting)", offset: pos) }
        guard input[pos] == quote else {
            throw Failure(message: "unexpected \(describe(input[pos])), expected \(expecting)\(hint(input[pos]))", offset: pos)
        }
        let key = try parseString()
        skipWhitespace()
        guard pos < input.count else { throw Failure(message: "unexpected end of input, expected ':'", offset: pos) }
        guard input[pos] == UInt8(ascii: ":") else {
            throw Failure(message: "unexpected \(describe(input[pos])), expected ':'", offset: pos)
        }
        pos += 1
        return key
    }

    mutating func skipWhitespace() {
        while pos < input.count {
            switch input[pos] {
            case 0x20, 0x0A, 0x0D, 0x09: pos += 1
            default: return
            }
        }
    }

    mutating func parseLiteral() throws(Failure) -> JSONValue {
        switch input[pos] {
        case UInt8(ascii: "t") where matches("true"): return .bool(true)
        case UInt8(ascii: "f") where matches("false"): return .bool(false)
        case UInt8(ascii: "n") where matches("null"): return .null
        default: break
        }
        var end = pos
        while end < input.count, isLetter(input[end]) { end += 1 }
        let word = String(decoding: input[pos..<end], as: UTF8.self)
        throw Failure(message: "unexpected word \"\(word)\", expected a value (true, false and null are lowercase)", offset: pos)
    }

    /// Consumes `word` when it is next and not followed by more letters ("nullx" is one bad word, not null + garbage).
    mutating func matches(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard input.count - pos >= count else { return false }
        let bytes = word.utf8Start
        for i in 0..<count where input[pos + i] != bytes[i] { return false }
        if pos + count < input.count, isLetter(input[pos + count]) { return false }
        pos += count
        return true
    }

    func isLetter(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
    }

    func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    mutating func parseNumber() throws(Failure) -> JSONNumber {
        let begin = pos
        if input[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < input.count, isDigit(input[pos]) else {
            throw Failure(message: "expected a digit after '-'", offset: pos)
        }
        if input[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < input.count, isDigit(input[pos]) {
                throw Failure(message: "leading zeros are not allowed in numbers", offset: begin)
            }
        } else {
            while pos < input.count, isDigit(input[pos]) { pos += 1 }
        }
        var integral = true
        if pos < input.count, input[pos] == UInt8(ascii: ".") {
            integral = false
            pos += 1
            guard pos < input.count, isDigit(input[pos]) else {
                throw Failure(message: "expected a digit after '.'", offset: pos)
            }
            while pos < input.count, isDigit(input[pos]) { pos += 1 }
        }
        if pos < input.count, input[pos] == UInt8(ascii: "e") || input[pos] == UInt8(ascii: "E") {
            integral = false
            pos += 1
            if pos < input.count, input[pos] == UInt8(ascii: "+") || input[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < input.count, isDigit(input[pos]) else {
                throw Failure(message: "expected a digit in the exponent", offset: pos)
            }
            while pos < input.count, isDigit(input[pos]) { pos += 1 }
        }
        let text = String(decoding: input[begin..<pos], as: UTF8.self)
        guard let double = Double(text), double.isFinite else {
            throw Failure(message: "number \(text) is out of range", offset: begin)
        }
        var int: Int?
        if integral {
            int = Int(text)
        } else if double.rounded(.towardZero) == double, double >= -9.223372036854775e18, double <= 9.223372036854775e18 {
            int = Int(double)
        }
        return JSONNumber(text: text, double: double, int: int)
    }

    /// `pos` is at the opening quote. Unescaped strings are sliced straight out of the input.
    mutating func parseString() throws(Failure) -> String {
        pos += 1
        let begin = pos
        while pos < input.count {
            let b = input[pos]
            if b == quote {
                let s = String(decoding: input[begin..<pos], as: UTF8.self)
                pos += 1
                return s
            } else if b == backslash {
                return try parseEscapedString(from: begin)
            } else if b < 0x20 {
                throw Failure(message: "unescaped control character \(describe(b)) in string", offset: pos)
            } else if b >= 0x80 {
                try skipUTF8Scalar()
            } else {
                pos += 1
            }
        }
        throw Failure(message: "unterminated string", offset: begin - 1)
    }

    mutating func parseEscapedString(from begin: Int) throws(Failure) -> String {
        var buffer = Array(input[begin..<pos])
        while pos < input.count {
            let b = input[pos]
            if b == quote {
                pos += 1
                return String(decoding: buffer, as: UTF8.self)
            } else if b == backslash {
                let escapeStart = pos
                switch JSONEscape.decode(input, at: &pos, into: &buffer) {
                case nil:
                    break
                case .unterminated:
                    throw Failure(message: "unterminated string", offset: begin - 1)
                case .unknown(let e):
                    throw Failure(message: "invalid escape \(describe(e)) in string", offset: escapeStart)
                case .truncatedHex(let at):
                    throw Failure(message: "incomplete \\u escape in string", offset: at)
                case .invalidHex(let at):
                    throw Failure(message: "invalid \\u escape in string (expected 4 hex digits)", offset: at)
                case .loneSurrogate:
                    throw Failure(message: "lone surrogate \(escapeText(escapeStart)) in string", offset: escapeStart)
                }
            } else if b < 0x20 {
                throw Failure(message: "unescaped control character \(describe(b)) in string", offset: pos)
            } else if b >= 0x80 {
                let scalarStart = pos
                try skipUTF8Scalar()
                buffer.append(contentsOf: input[scalarStart..<pos])
            } else {
                buffer.append(b)
                pos += 1
            }
        }
        throw Failure(message: "unterminated string", offset: begin - 1)
    }

    func escapeText(_ at: Int) -> String {
        String(decoding: input[at..<min(at + 6, input.count)], as: UTF8.self)
    }



    /// Validates one multi-byte UTF-8 sequence at `pos` (no overlongs, surrogates or values past U+10FFFF).
    mutating func skipUTF8Scalar() throws(Failure) {
        let lead = input[pos]
        let length: Int
        var lowerBound: UInt8 = 0x80
        var upperBound: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lowerBound = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upperBound = 0x9F
        case 0xF0: length = 4; lowerBound = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upperBound = 0x8F
        default: throw Failure(message: "invalid UTF-8 byte 0x\(hex(lead))", offset: pos)
        }
        guard pos + length <= input.count else { throw Failure(message: "truncated UTF-8 sequence", offset: pos) }
        let second = input[pos + 1]
        guard second >= lowerBound && second <= upperBound else {
            throw Failure(message: "invalid UTF-8 sequence", offset: pos)
        }
        for i in 2..<max(2, length) where input[pos + i] & 0xC0 != 0x80 {
            throw Failure(message: "invalid UTF-8 sequence", offset: pos)
        }
        pos += length
    }

    func describe(_ byte: UInt8) -> String {
        switch byte {
        case 0x0A: return "newline"
        case 0x0D: return "carriage return"
        case 0x09: return "tab"
        case 0x21...0x7E: return "'\(Character(Unicode.Scalar(byte)))'"
        default: return "byte 0x\(hex(byte))"
        }
    }

    func hint(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "'"): return " (strings and keys need double quotes)"
        case UInt8(ascii: "/"), UInt8(ascii: "#"): return " (comments are not allowed in JSON)"
        default: return ""
        }
    }

    func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }

    /// Turns a failure into line/column (characters, not bytes) plus the pointer of the open containers.
    func makeError(_ failure: Failure) -> JSONParseError {
        var line = 1
        var column = 1
        var i = start
        while i < failure.offset && i < input.count {
            let b = input[i]
            if b == 0x0A {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
        var pointer = ""
        for frame in stack {
            switch frame {
            case .array(let array) where array.inValue: pointer = JSONPointer.appending(pointer, array.items.count)
            case .object(let object) where object.inValue: pointer = JSONPointer.appending(pointer, object.key)
            default: break
            }
        }
        if let key = failure.key { pointer = JSONPointer.appending(pointer, key) }
        return JSONParseError(message: failure.message, line: line, column: column, offset: failure.offset,
                              pointer: pointer)
    }
}
