import Testing
@testable import GatewayConfig

@Suite struct JSONParserTests {
    func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    func failure(_ text: String, maxDepth: Int = JSONParser.defaultMaxDepth) -> JSONParseError? {
        do {
            _ = try JSONParser.parse(Array(text.utf8), maxDepth: maxDepth)
            return nil
        } catch {
            return error
        }
    }

    @Test func scalarsAndContainers() throws {
        #expect(try parse("null") == .null)
        #expect(try parse(" true ") == .bool(true))
        #expect(try parse("false") == .bool(false))
        #expect(try parse(#""hi""#) == .string("hi"))
        #expect(try parse("[]") == .array([]))
        #expect(try parse("{}") == .object(JSONObject(members: [])))
        #expect(try parse("[1, [2], {\"a\": null}]") == .array([
            .number(JSONNumber(text: "1", double: 1, int: 1)),
            .array([.number(JSONNumber(text: "2", double: 2, int: 2))]),
            .object(JSONObject(members: [.init(key: "a", value: .null)])),
        ]))
    }

    @Test func objectsKeepKeyOrder() throws {
        guard case .object(let o) = try parse(#"{"z": 1, "a": 2, "m": 3}"#) else { Issue.record("not an object"); return }
        #expect(o.keys == ["z", "a", "m"])
        #expect(o["a"] == .number(JSONNumber(text: "2", double: 2, int: 2)))
        #expect(o["missing"] == nil)
    }

    @Test func numbersKeepTextDoubleAndInt() throws {
        func number(_ text: String) throws -> JSONNumber? {
            if case .number(let n) = try parse(text) { return n }
            return nil
        }
        #expect(try number("1e308") == JSONNumber(text: "1e308", double: 1e308, int: nil))
        let negativeZero = try #require(try number("-0"))
        #expect(negativeZero.text == "-0" && negativeZero.double == 0 && negativeZero.double.sign == .minus && negativeZero.int == 0)
        #expect(try number("1.0") == JSONNumber(text: "1.0", double: 1, int: 1))
        #expect(try number("1.5") == JSONNumber(text: "1.5", double: 1.5, int: nil))
        #expect(try number("2E+2") == JSONNumber(text: "2E+2", double: 200, int: 200))
        #expect(try number("-12e-1") == JSONNumber(text: "-12e-1", double: -1.2, int: nil))
        #expect(try number("9223372036854775807")?.int == Int.max)
        #expect(try number("9223372036854775808")?.int == nil)
        #expect(try number("12345678901234567890")?.double == 1.2345678901234567e19)
    }

    @Test func numberSyntaxErrors() {
        #expect(failure("01")?.message == "leading zeros are not allowed in numbers")
        #expect(failure("1.")?.message == "expected a digit after '.'")
        #expect(failure(".5")?.message == "unexpected '.', expected a value")
        #expect(failure("-")?.message == "expected a digit after '-'")
        #expect(failure("1e")?.message == "expected a digit in the exponent")
        #expect(failure("+1")?.message == "unexpected '+', expected a value")
        #expect(failure("1e400")?.message == "number 1e400 is out of range")
        #expect(failure("NaN")?.message == "unexpected 'N', expected a value")
    }

    @Test func stringEscapes() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{08}\u{0C}\n\r\t"))
        #expect(try parse(#""\u0041\u00e9\u20AC""#) == .string("Aé€"))
        #expect(try parse(#""\u0000""#) == .string("\u{0}"))
        #expect(try parse("\"héllo ✓\"") == .string("héllo ✓"))
    }

    @Test func surrogatePairs() throws {
        #expect(try parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try parse(#""x\uD834\uDD1Ey""#) == .string("x𝄞y"))
        #expect(failure(#""\ud83d""#)?.message == #"lone surrogate \ud83d in string"#)
        #expect(failure(#""\ud83d\u0041""#)?.message == #"lone surrogate \ud83d in string"#)
        #expect(failure(#""\ude00""#)?.message == #"lone surrogate \ude00 in string"#)
    }

    @Test func stringErrors() {
        #expect(failure(#""abc"#)?.message == "unterminated string")
        #expect(failure("\"a\u{01}b\"")?.message == "unescaped control character byte 0x01 in string")
        #expect(failure("\"a\nb\"")?.message == "unescaped control character newline in string")
        #expect(failure(#""\x""#)?.message == "invalid escape 'x' in string")
        #expect(failure(#""\u12G4""#)?.message == #"invalid \u escape in string (expected 4 hex digits)"#)
        #expect(failure("'a'")?.message == "unexpected ''', expected a value (strings and keys need double quotes)")
    }

    @Test func invalidUTF8IsRejected() {
        var bytes = Array("\"ab".utf8)
        bytes += [0xC3, 0x28, UInt8(ascii: "\"")]
        #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xED, 0xA0, 0x80, 0x22]) }  // encoded surrogate
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xC0, 0xAF, 0x22]) }  // overlong "/"
    }

    @Test func duplicateKeysAreErrorsAtTheKeysPointer() {
        let error = failure("{\"a\": {\"b\": 1,\n \"b\": 2}}")
        #expect(error?.message == "duplicate key \"b\"")
        #expect(error?.pointer == "/a/b")
        #expect(error?.line == 2 && error?.column == 2)
        // Large objects switch to a key set; duplicates are still caught.
        let many = (0..<40).map { "\"k\($0)\": \($0)" }.joined(separator: ",")
        #expect(failure("{\(many), \"k7\": 0}")?.message == "duplicate key \"k7\"")
        #expect(failure("{\(many)}") == nil)
    }

    @Test func trailingCommasAndGarbage() {
        #expect(failure("[1, 2,]")?.message == "trailing comma before ']'")
        #expect(failure(#"{"a": 1,}"#)?.message == "trailing comma before '}'")
        #expect(failure("{} x")?.message == "unexpected 'x' after the end of the document")
        #expect(failure("[1 2]")?.message == "unexpected '2', expected ',' or ']'")
        #expect(failure("")?.message == "unexpected end of input, expected a value")
        #expect(failure("[1,")?.message == "unexpected end of input, expected a value")
        #expect(failure(#"{"a" 1}"#)?.message == "unexpected '1', expected ':'")
        #expect(failure("{a: 1}")?.message == "unexpected 'a', expected a string key or '}'")
        #expect(failure("// hi\n{}")?.message == "unexpected '/', expected a value (comments are not allowed in JSON)")
        #expect(failure("nul")?.message == "unexpected word \"nul\", expected a value (true, false and null are lowercase)")
        #expect(failure("True")?.message == "unexpected 'T', expected a value")
    }

    @Test func depthLimit() {
        #expect(failure(String(repeating: "[", count: 512) + String(repeating: "]", count: 512)) == nil)
        let tooDeep = failure(String(repeating: "[", count: 513) + String(repeating: "]", count: 513))
        #expect(tooDeep?.message == "nesting is deeper than 512 levels")
        #expect(tooDeep?.pointer == "/" + Array(repeating: "0", count: 512).joined(separator: "/"))
        #expect(failure(#"{"a": {"b": {}}}"#, maxDepth: 2)?.pointer == "/a/b")
        // Far past the limit: no stack overflow, just the error.
        #expect(failure(String(repeating: "[", count: 100_000))?.message == "nesting is deeper than 512 levels")
    }

    @Test func byteOrderMarkIsSkipped() throws {
        #expect(try JSONParser.parse([0xEF, 0xBB, 0xBF] + Array("{\"a\": true}".utf8))
            == .object(JSONObject(members: [.init(key: "a", value: .bool(true))])))
        let error = failure("\u{FEFF}[1 2]")
        #expect(error?.line == 1 && error?.column == 4)
    }

    @Test func errorsCarryLineColumnAndPointer() {
        let text = "{\n  \"listen\": {\"http\": \":8080\"},\n  \"apis\": [\n    {\"name\": \"é\" \"x\": 1}\n  ]\n}"
        let error = failure(text)
        #expect(error?.message == "unexpected '\"', expected ',' or '}'")
        #expect(error?.line == 4 && error?.column == 18)  // columns count characters, not bytes
        #expect(error?.pointer == "/apis/0")
        #expect(error?.description == "invalid JSON at line 4, column 18: unexpected '\"', expected ',' or '}'")
        #expect(failure(#"{"a": [1, tru]}"#)?.pointer == "/a/1")
        #expect(failure("[1 2]")?.pointer == "")
    }
}

extension JSONParserTests {
    @Test func largeDocumentsParse() throws {
        let item = #"{"id": 12345, "name": "widget \u00e9", "tags": ["a", "b"], "price": 12.5, "ok": true, "none": null}"#
        let text = "[" + Array(repeating: item, count: 10_000).joined(separator: ",") + "]"
        guard case .array(let items) = try JSONParser.parse(text) else { Issue.record("not an array"); return }
        #expect(items.count == 10_000)
        #expect(items.last == (try JSONParser.parse(item)))
    }
}
