import Foundation
import Testing
@testable import JSONSchema

/// The one-pass check may only say "certainly valid" where the parser and the evaluator say valid. Checked against
/// the official suite, our own dialect cases and mutated documents, plus each rule it takes over from them.
@Suite struct OnePassScannerTests {
    static let orderSchema = #"""
    {"type": "object", "required": ["id", "status", "items"], "additionalProperties": false,
     "properties": {
       "id": {"type": "string", "pattern": "^ord_[0-9a-z]{4}$"},
       "status": {"enum": ["pending", "paid", null]},
       "placed": {"type": "string", "format": "date-time"},
       "email": {"type": "string", "format": "email", "maxLength": 40},
       "name": {"type": "string", "minLength": 2, "maxLength": 6},
       "flags": {"type": "array", "uniqueItems": true, "maxItems": 3, "items": {"type": ["string", "boolean", "null"]}},
       "extra": {"type": "object"},
       "items": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/item"}}},
     "$defs": {"item": {"type": "object", "required": ["sku", "qty"],
                        "properties": {"sku": {"const": "SKU-1"}, "qty": {"type": "integer", "minimum": 1, "maximum": 99,
                                                                             "multipleOf": 1}, "price": {"exclusiveMinimum": 0}}}}}
    """#

    static let order = #"""
    {"id": "ord_ab12", "status": "paid", "placed": "2026-11-29T10:00:00Z", "email": "ann@example.com", "name": "Ann",
     "flags": ["a", true, null], "extra": {"any": [1, {"x": "y"}], "thing": 1e3},
     "items": [{"sku": "SKU-1", "qty": 2, "price": 0.5}, {"sku": "SKU-1", "qty": 99, "note": "free"}]}
    """#

    static func compile(_ schema: String, formats: Bool = true) throws -> CompiledSchema {
        try SchemaCompiler(formatAssertion: formats).compile(try JSONInstance.parse(schema))
    }

    static func accepts(_ schema: CompiledSchema, _ text: String, maxDepth: Int = 512) -> Bool {
        Array(text.utf8).withUnsafeBytes { schema.certainlyAccepts($0, maxDepth: maxDepth) }
    }

    /// Whether the full path (parser, then evaluator) accepts the bytes.
    static func fullyAccepts(_ schema: CompiledSchema, _ bytes: [UInt8], maxDepth: Int = 512) -> Bool {
        guard let instance = try? JSONInstance.parse(bytes, maxDepth: maxDepth) else { return false }
        return schema.validate(instance, maxErrors: 0).isValid
    }

    @Test func aValidDocumentIsAcceptedInOnePass() throws {
        let schema = try Self.compile(Self.orderSchema)
        #expect(schema.onePass != nil)
        #expect(Self.accepts(schema, Self.order))
        #expect(Self.fullyAccepts(schema, Array(Self.order.utf8)))
    }

    @Test(arguments: [
        (#""id": "ord_ab12""#, #""id": "ord_AB12""#),                  // pattern
        (#""status": "paid""#, #""status": "lost""#),                  // enum
        (#""status": "paid""#, #""status": 1"#),                       // enum, another type
        (#""placed": "2026-11-29T10:00:00Z""#, #""placed": "2026-13-29T10:00:00Z""#),  // format
        (#""email": "ann@example.com""#, #""email": "ann.example.com""#),
        (#""name": "Ann""#, #""name": "A""#),                          // minLength
        (#""name": "Ann""#, #""name": "Annabel""#),                    // maxLength
        (#""name": "Ann""#, #""name": "Añña""#),                       // fine: 4 scalars, 6 bytes (accepted below)
        (#"["a", true, null]"#, #"["a", true, "a"]"#),                  // uniqueItems
        (#"["a", true, null]"#, #"["a", true, null, false]"#),          // maxItems
        (#"["a", true, null]"#, #"["a", 1]"#),                          // items type
        (#""extra": {"#, #""extra": 3, "x": {"#),                      // additionalProperties false
        (#""qty": 2"#, #""qty": 2.5"#),                                // integer
        (#""qty": 2"#, #""qty": 0"#),                                  // minimum
        (#""qty": 99"#, #""qty": 100"#),                               // maximum
        (#""price": 0.5"#, #""price": 0"#),                            // exclusiveMinimum
        (#""sku": "SKU-1", "qty": 2"#, #""sku": "SKU-2", "qty": 2"#),  // const
        (#"{"sku": "SKU-1", "qty": 99, "note": "free"}"#, #"{"sku": "SKU-1", "note": "free"}"#),  // required
        (#""items": [{"#, #""items": [], "i": [{"#),                   // minItems
    ])
    func everyViolationIsLeftToTheEvaluator(valid: String, invalid: String) throws {
        let schema = try Self.compile(Self.orderSchema)
        let document = Self.order.replacingOccurrences(of: valid, with: invalid)
        #expect(document != Self.order, "the fixture must change")
        let full = Self.fullyAccepts(schema, Array(document.utf8))
        #expect(Self.accepts(schema, document) == full, "\(invalid)")
        if invalid != #""name": "Añña""# { #expect(!full, "\(invalid) should be invalid") }
    }

    @Test(arguments: [
        (#"{"a": "x", "b": 1}"#, true), (#"{"a": "x", "b": "y"}"#, false), (#"{"a": 1, "b": 1}"#, false),
        (#"{"a": "x"}"#, false), (#"{"b": 1, "c": 2, "d": 3}"#, false), (#"{}"#, false),
    ])
    func additionalMembersMeetTheirSchema(document: String, valid: Bool) throws {
        let schema = try Self.compile(#"""
            {"properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "integer"},
             "required": ["b"], "maxProperties": 2}
            """#)
        #expect(Self.accepts(schema, document) == valid)
        #expect(Self.fullyAccepts(schema, Array(document.utf8)) == valid)
    }

    @Test(arguments: [
        ("[1, \"a\"]", true), ("[1, \"a\", true, false]", true), ("[\"a\", 1]", false), ("[1, \"a\", 3]", false),
    ])
    func prefixItemsThenItems(document: String, valid: Bool) throws {
        let schema = try Self.compile(#"{"prefixItems": [{"type": "integer"}, {"type": "string"}], "items": {"type": "boolean"}}"#)
        #expect(Self.accepts(schema, document) == valid)
        #expect(Self.fullyAccepts(schema, Array(document.utf8)) == valid)
    }

    @Test(arguments: [
        "", " ", "{", "{}x", #"{"a":1,}"#, #"{"a" 1}"#, #"{"a":1 "b":2}"#, "[1,]", "[01]", "[1.]", "[.5]", "[-]",
        "[1e]", "[+1]", "[tru]", "[nul]", "[True]", #"["a]"#, "[\"\u{01}\"]", #"{"a":1,"a":2}"#,
        #"{"x":{"k":1,"k":2}}"#, #"{"a-very-long-key-name":1,"a-very-long-key-name":2}"#, "[1]]", "[[1]", "{\"a\":1}{}",
    ])
    func malformedJSONIsNeverAccepted(text: String) throws {
        let anything = try Self.compile("{}")
        #expect(anything.onePass != nil)
        #expect(!Self.accepts(anything, text), "\(text)")
        #expect(!Self.fullyAccepts(anything, Array(text.utf8)), "\(text)")
    }

    @Test func invalidUTF8IsNeverAccepted() throws {
        let anything = try Self.compile("{}")
        let cases: [[UInt8]] = [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xE2, 0x82], [0x80],
                                [0xF4, 0x90, 0x80, 0x80], [0xE0, 0x9F, 0xBF]]
        for bad in cases {
            let document = Array(#"{"a":""#.utf8) + bad + Array(#"x"}"#.utf8)
            #expect(!document.withUnsafeBytes { anything.certainlyAccepts($0) }, "\(bad)")
            #expect(!Self.fullyAccepts(anything, document))
        }
        let good = Array(#"{"a":"é€😀"}"#.utf8)
        #expect(good.withUnsafeBytes { anything.certainlyAccepts($0) })
    }

    @Test(arguments: [
        (#""name": "A\u006en""#, true),                 // decoded before the checks: "Ann"
        (#""id": "ord_\u0061b12""#, true),              // the pattern sees "ord_ab12"
        (#""name": "\u00c5\u00e9""#, true),            // two scalars, four bytes
        (#""name": "\ud83d\ude00\ud83d\ude00""#, true),  // a surrogate pair is one scalar
        (#""name": "\"Q\"""#, true),
        (#""name": "\u0041""#, false),                 // minLength counts the decoded text
        (#""flags": ["a", "\u0061"]"#, false),         // equal once decoded: uniqueItems
        (#""status": "p\u0061id""#, true),             // enum compares decoded text
    ])
    func escapedStringsAreDecodedLikeTheParserDoes(member: String, valid: Bool) throws {
        let schema = try Self.compile(Self.orderSchema)
        let document = Self.order.replacingOccurrences(of: #""name": "Ann""#, with: member.hasPrefix(#""name""#) ? member : #""name": "Ann""#)
            .replacingOccurrences(of: #""id": "ord_ab12""#, with: member.hasPrefix(#""id""#) ? member : #""id": "ord_ab12""#)
            .replacingOccurrences(of: #""flags": ["a", true, null]"#, with: member.hasPrefix(#""flags""#) ? member : #""flags": ["a", true, null]"#)
            .replacingOccurrences(of: #""status": "paid""#, with: member.hasPrefix(#""status""#) ? member : #""status": "paid""#)
        #expect(document != Self.order)
        #expect(Self.fullyAccepts(schema, Array(document.utf8)) == valid, "\(member)")
        #expect(Self.accepts(schema, document) == valid, "\(member)")
    }

    @Test(arguments: [#""\x""#, #""\u12""#, #""\u12g4""#, #""\ud800""#, #""\udc00""#, #""\ud800\u0041""#, #""\ud800x""#,
                      "\"\\n\u{01}\"", #""\"#, #""abc\""#])
    func malformedEscapesAreNeverAccepted(string: String) throws {
        let anything = try Self.compile("{}")
        let document = #"{"a": "# + string + "}"
        #expect(!Self.accepts(anything, document), "\(document)")
        #expect(!Self.fullyAccepts(anything, Array(document.utf8)), "\(document)")
    }

    @Test func escapesDecodeToTheParsersText() throws {
        let exact = try Self.compile(#"{"const": "A\u0000/\b\f\n\r\t\"\\éé😀"}"#)
        for document in [#""A\u0000\/\b\f\n\r\t\"\\\u00E9é\uD83D\uDE00""#, #""\u0041\u0000/\u0008\u000C\n\r\t\u0022\\é\u00e9😀""#] {
            #expect(Self.accepts(exact, document), "\(document)")
            #expect(Self.fullyAccepts(exact, Array(document.utf8)), "\(document)")
        }
        let anything = try Self.compile("{}")
        // Raw non-ASCII beside escapes is validated as a whole: a lone lead byte before an escape is not UTF-8.
        let broken = Array(#""x"#.utf8) + [0xC3] + Array(#"\u00a9""#.utf8)
        #expect(!broken.withUnsafeBytes { anything.certainlyAccepts($0) })
        #expect(!Self.fullyAccepts(anything, broken))
        // Input that ends inside an escape.
        for truncated in [#""\"#, #""\u12"#, #""\ud800\u"#, #""\ud800"#, #""ab\"#] {
            #expect(!Self.accepts(anything, truncated), "\(truncated)")
            #expect(!Self.fullyAccepts(anything, Array(truncated.utf8)), "\(truncated)")
        }
    }

    @Test func namesWithEscapesAreLeftToTheParser() throws {
        let schema = try Self.compile(#"{"properties": {"a": {"type": "integer"}}}"#)
        #expect(!Self.accepts(schema, #"{"\u0061": 1}"#))
        #expect(Self.fullyAccepts(schema, Array(#"{"\u0061": 1}"#.utf8)))
        #expect(!Self.fullyAccepts(schema, Array(#"{"\u0061": "x"}"#.utf8)))
    }

    @Test func nestingPastTheDepthLimitIsNeverAccepted() throws {
        let anything = try Self.compile("{}")
        let deep = String(repeating: "[", count: 20) + String(repeating: "]", count: 20)
        #expect(Self.accepts(anything, deep, maxDepth: 20))
        #expect(!Self.accepts(anything, deep, maxDepth: 19))
        #expect((try? JSONInstance.parse(Array(deep.utf8), maxDepth: 19)) == nil)
        let hostile = String(repeating: "[", count: 100_000)
        #expect(!Self.accepts(anything, hostile, maxDepth: 256))
    }

    /// The evaluator stops at its nested-evaluation and stack limits; the one pass must not accept past them.
    @Test func deepRecursionIsLeftToTheEvaluatorsLimits() throws {
        let nested = try Self.compile(##"{"items": {"$ref": "#"}}"##)
        func arrays(_ depth: Int) -> String { String(repeating: "[", count: depth) + String(repeating: "]", count: depth) }
        #expect(Self.accepts(nested, arrays(10)))
        #expect(!Self.accepts(nested, arrays(251)))
        #expect(!Self.fullyAccepts(nested, Array(arrays(251).utf8)), "250 nested evaluations by default")
        // Each hop into another resource is an evaluation of its own: ten per level here.
        let hops = (1...7).map { #""h\#($0)": {"$id": "h\#($0)", "$ref": "h\#($0 + 1)"}"# }.joined(separator: ", ")
        let chained = try Self.compile(##"""
            {"$id": "https://example.test/root", "type": "array", "items": {"$ref": "h1"},
             "$defs": {\##(hops), "h8": {"$id": "h8", "$ref": "root"}}}
            """##)
        #expect(chained.onePass?.evaluationsPerLevel == 10)
        #expect(Self.accepts(chained, arrays(2)) && Self.fullyAccepts(chained, Array(arrays(2).utf8)))
        #expect(!Self.accepts(chained, arrays(3)), "past 32 nested evaluations the evaluator decides")
        #expect(!Self.accepts(chained, arrays(26)))
        #expect(!Self.fullyAccepts(chained, Array(arrays(26).utf8)))
    }

    @Test(arguments: [
        #"{"anyOf": [{"type": "string"}, {"type": "integer"}]}"#,
        #"{"properties": {"a": {"not": {}}}}"#,
        #"{"unevaluatedProperties": false}"#,
        #"{"patternProperties": {"^x": {}}}"#,
        ##"{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}"##,
        ##"{"$dynamicAnchor": "n", "items": {"$dynamicRef": "#n"}}"##,
    ])
    func schemasBeyondOnePassAlwaysTakeTheEvaluator(schema: String) throws {
        let compiled = try Self.compile(schema)
        #expect(compiled.onePass == nil)
        #expect(!Self.accepts(compiled, "1"))
    }

    @Test func recursiveSchemasFlatten() throws {
        let tree = try Self.compile(##"{"$defs": {"t": {"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/t"}}}}}, "$ref": "#/$defs/t"}"##)
        #expect(tree.onePass != nil)
        #expect(Self.accepts(tree, #"{"kids": [{"kids": []}, {"kids": [{}]}]}"#))
        #expect(!Self.accepts(tree, #"{"kids": [{"kids": [3]}]}"#))
    }

    /// Random edits of a valid document (bytes changed, dropped or repeated, which also repeats keys): whatever the
    /// one pass accepts, the full path accepts too; and it still accepts most valid variants.
    @Test func mutatedDocumentsNeverGetAFalseAccept() throws {
        let schema = try Self.compile(Self.orderSchema)
        let original = Array(Self.order.utf8)
        let alphabet = Array(#"{}[],:"\ 0123456789.eE-+tfnulaxyz"#.utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xA9, 0xFF]
        var random = SplitMix64(seed: 0x5EED)
        var accepted = 0
        var falseAccepts: [String] = []
        for _ in 0..<4000 {
            var bytes = original
            for _ in 0..<(1 + Int(random.next() % 3)) {
                let at = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 3 {
                case 0: bytes[at] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: at)
                default:
                    let length = min(1 + Int(random.next() % 24), bytes.count - at)
                    bytes.insert(contentsOf: bytes[at..<(at + length)], at: at)
                }
            }
            guard bytes.withUnsafeBytes({ schema.certainlyAccepts($0) }) else { continue }
            accepted += 1
            if !Self.fullyAccepts(schema, bytes) { falseAccepts.append(String(decoding: bytes, as: UTF8.self)) }
        }
        #expect(falseAccepts.isEmpty, "\(falseAccepts.prefix(3))")
        #expect(accepted > 50, "some edits keep the document valid (whitespace, digits, names)")
    }

    /// Every group of a suite file: where the one pass accepts a test's data, the evaluator must too.
    static func differential(_ cases: [UInt8], compiler: SchemaCompiler) -> (accepted: Int, falseAccepts: [String]) {
        guard case .array(let groups)? = try? JSONInstance.parse(cases) else { return (0, ["not a test file"]) }
        var accepted = 0
        var falseAccepts: [String] = []
        for group in groups {
            guard let schema = try? compiler.compile(group["schema"] ?? .bool(true)) else { continue }
            for test in group["tests"]?.arrayValue ?? [] {
                let data = test["data"] ?? .null
                for text in [data.jsonText, " \(data.jsonText) "] {
                    let bytes = Array(text.utf8)
                    guard bytes.withUnsafeBytes({ schema.certainlyAccepts($0) }) else { continue }
                    accepted += 1
                    if !fullyAccepts(schema, bytes) {
                        falseAccepts.append("\(group["description"]?.stringValue ?? "?") / \(test["description"]?.stringValue ?? "?")")
                    }
                }
            }
        }
        return (accepted, falseAccepts)
    }

    @Test(.enabled(if: ConformanceSuiteTests.remotesPresent,
                   "../shared/conformance/json-schema-test-suite/remotes is absent (the 2020-12 cases $ref its meta-schemas)"),
          arguments: [
        (Dialect.draft2020_12, DialectKeywordCases.draft2020_12),
        (Dialect.draft2019_09, DialectKeywordCases.draft2019_09),
        (Dialect.draft6, DialectKeywordCases.draft6),
    ])
    func ourDialectCasesGetNoFalseAccept(dialect: Dialect, cases: String) {
        let compiler = ConformanceSuite.compiler(dialect: dialect, remotes: DialectKeywordTests.remotes, formatAssertion: true)
        let outcome = Self.differential(Array(cases.utf8), compiler: compiler)
        #expect(outcome.falseAccepts.isEmpty, "\(outcome.falseAccepts)")
        #expect(outcome.accepted > 0)
    }

    @Test(.enabled(if: ConformanceSuiteTests.suitePresent, "../shared/conformance/json-schema-test-suite is absent"),
          arguments: [("draft4", Dialect.draft4), ("draft7", Dialect.draft7)])
    func theOfficialSuiteGetsNoFalseAccept(folder: String, dialect: Dialect) {
        let root = ConformanceSuiteTests.suiteRoot.appendingPathComponent("tests/\(folder)")
        let files = ConformanceSuiteTests.files(under: root, relativeTo: root)
        var accepted = 0
        var falseAccepts: [String] = []
        for formats in [false, true] {
            let compiler = ConformanceSuite.compiler(dialect: dialect, remotes: DialectKeywordTests.remotes,
                                                     formatAssertion: formats)
            for file in files {
                let outcome = Self.differential(file.contents, compiler: compiler)
                accepted += outcome.accepted
                falseAccepts += outcome.falseAccepts.map { "\(file.path) / \($0)" }
            }
        }
        print("\(folder): the one pass accepted \(accepted) documents, all confirmed by the evaluator")
        #expect(falseAccepts.isEmpty, "\(falseAccepts)")
        #expect(accepted > 300)
    }
}
