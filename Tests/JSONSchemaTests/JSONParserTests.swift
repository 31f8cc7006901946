import Testing
@testable import JSONSchema

@Suite struct JSONParserTests {
    func parse(_ text: String) throws(JSONParseError) -> JSONInstance { try JSONInstance.parse(text) }

    func failure(_ text: String, maxDepth: Int = 512) -> JSONParseError? {
        do {
            _ = try JSONInstance.parse(Array(text.utf8), maxDepth: maxDepth)
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesAllValueKinds() throws {
        let value = try parse(#" {"a": [1, 2.5, -3e2, true, false, null, "x\n\u00e9\ud83d\ude00"], "b": {}} "#)
        #expect(value["a"]?.arrayValue?.count == 7)
        #expect(value["a"]?.arrayValue?[6] == .string("x\né😀"))
        #expect(value["b"] == .object(JSONObject()))
    }

    @Test func keepsMemberOrder() throws {
        let object = try parse(#"{"z": 1, "a": 2, "m": 3}"#).objectValue!
        #expect(object.keys == ["z", "a", "m"])
    }

    @Test func duplicateKeysAreRejected() {
        let error = failure(#"{"a": 1, "a": 2}"#)
        #expect(error?.message == "duplicate key \"a\"")
        #expect(error?.column == 10)
    }

    /// Objects past the linear-scan size check duplicates with a set, which nested large objects share.
    @Test func duplicateKeysAreRejectedInLargeAndNestedObjects() throws {
        func object(_ keys: [String], inner: String = "1") -> String {
            "{" + keys.map { "\"\($0)\": \(inner)" }.joined(separator: ",") + "}"
        }
        let names = (0..<40).map { "k\($0)" }
        #expect(try parse(object(names)).objectValue?.count == 40)
        #expect(failure(object(names + ["k3"]))?.message == "duplicate key \"k3\"")
        #expect(failure(object(names + ["k39"]))?.message == "duplicate key \"k39\"")
        // An outer large object whose members are themselves large objects (and arrays of them).
        let inner = object(names)
        let outer = object(names, inner: "[\(inner), \(inner)]")
        #expect(try parse(outer).objectValue?.count == 40)
        #expect(failure(object(names + ["k0"], inner: "[\(inner), \(inner)]"))?.message == "duplicate key \"k0\"")
        #expect(failure(object(names, inner: object(names + ["k7"])))?.message == "duplicate key \"k7\"")
        // Sibling large objects in one array, each valid.
        #expect(try parse("[\(inner), \(inner), \(inner)]").arrayValue?.count == 3)
    }

    @Test func reportsLineAndColumn() {
        let error = failure("{\n  \"a\": tru\n}")
        #expect(error?.line == 2)
        #expect(error?.column == 8)
    }

    @Test(arguments: ["[1,]", "{\"a\":1,}", "01", "'x'", "[1] 2", "\"\\x\"", "\"a\tb\"", "nul", "", "{\"a\" 1}",
                      "\"\\ud800\"", "1.e5", "[", "// c\n1"])
    func rejectsInvalidJSON(_ text: String) {
        #expect(failure(text) != nil)
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONInstance.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func deepNestingFailsWithoutCrashing() {
        let hostile = String(repeating: "[", count: 100_000)
        #expect(failure(hostile)?.message == "nesting deeper than 512 levels")
        #expect(failure(String(repeating: "[", count: 4) + String(repeating: "]", count: 4), maxDepth: 3) != nil)
        #expect(failure(String(repeating: "[", count: 3) + String(repeating: "]", count: 3), maxDepth: 3) == nil)
    }

    @Test func numbersStayExact() throws {
        #expect(try parse("1.0") == .number(JSONNumber(1)))
        #expect(try parse("123456789012345678901234567890").numberValue?.description == "1.2345678901234567890123456789e29")
    }

    /// The parser reads its input through an unchecked buffer in release builds, so every prefix and many
    /// corruptions of a document must end in a value or an error, never a read past the end (debug builds, where
    /// tests run, check every access).
    @Test func truncatedAndCorruptedInputEndsInAnError() throws {
        let document = Array(#"""
        {"id": "ord_1", "n": -12.5e-3, "ok": true, "none": null, "list": [1, [2, {"k": "v\u00e9\ud83d\ude00"}]],
         "escapes": "\"\\\/\b\f\n\r\t", "long-key-over-fifteen-bytes": {"nested": false}}
        """#.utf8)
        #expect(throws: Never.self) { try JSONInstance.parse(document) }
        for length in 0..<document.count {
            #expect(throws: JSONParseError.self) { try JSONInstance.parse(document[..<length]) }
        }
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array(#"{}[]",:\u0123456789abcdefnrtlse.-+E "#.utf8) + [0x00, 0x1F, 0x7F, 0xC3, 0xA9, 0xFF]
        for _ in 0..<3000 {
            var mutated = document
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                mutated[Int.random(in: 0..<mutated.count, using: &generator)] = alphabet.randomElement(using: &generator)!
            }
            _ = try? JSONInstance.parse(mutated)
        }
    }
}
