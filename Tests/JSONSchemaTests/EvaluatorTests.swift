import Testing
import JSONSchema

/// Error reporting: every violation, with instance pointer, keyword, schema location and message.
@Suite struct EvaluatorTests {
    func validate(_ schema: String, _ instance: String, maxErrors: Int = 50) throws -> ValidationResult {
        let compiled = try SchemaCompiler().compile(try JSONInstance.parse(schema))
        return compiled.validate(try JSONInstance.parse(instance), maxErrors: maxErrors)
    }

    static let order = #"""
    {"type": "object", "required": ["id", "items"], "additionalProperties": false,
     "properties": {"id": {"type": "string", "pattern": "^[0-9]+$"},
                    "items": {"type": "array", "items": {"type": "object",
                              "properties": {"qty": {"type": "integer", "minimum": 1}}}}}}
    """#

    /// Properties are found in any member order (the evaluator tries document order first), and a member whose
    /// name is only canonically equivalent to a declared one is an additional property.
    @Test func propertiesMatchInAnyOrderByCodePoints() throws {
        let schema = #"{"properties": {"a": {"type": "integer"}, "b": {"type": "string"}, "\u00e9": {"type": "null"}},"#
            + #" "required": ["b", "a"], "additionalProperties": false}"#
        #expect(try validate(schema, #"{"a": 1, "b": "x"}"#).isValid)
        #expect(try validate(schema, #"{"b": "x", "a": 1}"#).isValid)
        #expect(try validate(schema, #"{"b": "x", "\u00e9": null, "a": 1}"#).isValid)
        let swapped = try validate(schema, #"{"b": 1, "a": "x"}"#)
        #expect(swapped.errors.map(\.instancePointer) == ["/a", "/b"])
        let missing = try validate(schema, #"{"a": 1}"#)
        #expect(missing.errors.map(\.message) == ["must have required property 'b'"])
        let decomposed = try validate(schema, #"{"a": 1, "b": "x", "e\u0301": null}"#)
        #expect(decomposed.errors.map(\.keyword) == ["additionalProperties"])
    }

    /// `unevaluatedProperties` sees a member as evaluated only if that very name (by code points) was: a
    /// decomposed "e\u0301" beside a declared, precomposed "é" is still unevaluated.
    @Test func unevaluatedPropertiesComparesNamesByCodePoints() throws {
        let schema = #"{"properties": {"\u00e9": true}, "unevaluatedProperties": false}"#
        #expect(try validate(schema, #"{"\u00e9": 1}"#).isValid)
        let result = try validate(schema, #"{"\u00e9": 1, "e\u0301": 2}"#)
        #expect(result.errors.map(\.keyword) == ["unevaluatedProperties"])
    }

    @Test func reportsEveryViolationWithLocations() throws {
        let result = try validate(Self.order, #"{"id": "x1", "items": [{"qty": 0}, {"qty": 2.5}], "extra": true}"#)
        #expect(!result.isValid)
        let expected = [
            ValidationError(instancePointer: "", keyword: "additionalProperties",
                            schemaLocation: "/additionalProperties", message: "must NOT have additional property 'extra'"),
            ValidationError(instancePointer: "/id", keyword: "pattern",
                            schemaLocation: "/properties/id/pattern", message: "must match pattern \"^[0-9]+$\""),
            ValidationError(instancePointer: "/items/0/qty", keyword: "minimum",
                            schemaLocation: "/properties/items/items/properties/qty/minimum", message: "must be >= 1"),
            ValidationError(instancePointer: "/items/1/qty", keyword: "type",
                            schemaLocation: "/properties/items/items/properties/qty/type", message: "must be integer"),
        ]
        #expect(result.errors.sorted { $0.instancePointer < $1.instancePointer } == expected)
        #expect(!result.truncated)
    }

    @Test func requiredNamesEachMissingProperty() throws {
        let result = try validate(Self.order, "{}")
        #expect(result.errors.map(\.message) == ["must have required property 'id'", "must have required property 'items'"])
    }

    @Test func capsErrorsAndSaysSo() throws {
        let result = try validate(#"{"items": {"type": "string"}}"#, "[1, 2, 3, 4, 5]", maxErrors: 2)
        #expect(result.errors.count == 2)
        #expect(result.truncated)
        let verdictOnly = try validate(#"{"items": {"type": "string"}}"#, "[1, 2]", maxErrors: 0)
        #expect(!verdictOnly.isValid && verdictOnly.errors.isEmpty)
    }

    @Test func messagesForCommonKeywords() throws {
        #expect(try validate(#"{"type": ["string", "null"]}"#, "1").errors.first?.message == "must be string or null")
        #expect(try validate(#"{"type": "boolean"}"#, "1").errors.first?.message == "must be boolean")
        #expect(try validate(#"{"maxLength": 2}"#, #""abc""#).errors.first?.message == "must NOT have more than 2 characters")
        #expect(try validate(#"{"const": [1]}"#, "2").errors.first?.message == "must be equal to constant [1]")
        #expect(try validate(#"{"multipleOf": 0.01}"#, "1.001").errors.first?.message == "must be multiple of 0.01")
        #expect(try validate(#"{"oneOf": [true, true]}"#, "1").errors.first?.message
                == "must match exactly one schema in oneOf (matched 0 and 1)")
        #expect(try validate(#"{"uniqueItems": true}"#, "[1, 2, 1.0]").errors.first?.message
                == "must NOT have duplicate items (items 0 and 2 are identical)")
    }

    @Test func lengthsCountCodePoints() throws {
        #expect(try validate(#"{"maxLength": 1}"#, #""😀""#).isValid)
        #expect(try validate(#"{"minLength": 2}"#, #""é""#).isValid == false)
    }

    @Test func refErrorsPointIntoTheTarget() throws {
        let schema = ##"{"models": {"Qty": {"minimum": 1}}, "properties": {"q": {"$ref": "#/models/Qty"}}}"##
        let result = try validate(schema, #"{"q": 0}"#)
        #expect(result.errors.first?.schemaLocation == "/models/Qty/minimum")
        #expect(result.errors.first?.instancePointer == "/q")
    }

    @Test func compiledPointerSelectsASchemaInsideTheDocument() throws {
        let document = try JSONInstance.parse(##"{"models": {"A": {"type": "integer"}}, "routes": {"r": {"$ref": "#/models/A"}}}"##)
        let compiled = try SchemaCompiler().compile(document, pointer: "/routes/r")
        #expect(compiled.isValid(.number(JSONNumber(3))))
        #expect(!compiled.isValid(.string("x")))
    }

    @Test func selfReferenceCycleEndsWithADepthError() throws {
        let result = try validate(##"{"$ref": "#"}"##, "1")
        #expect(!result.isValid)
        #expect(result.errors.count == 1)
        #expect(result.errors.first?.message.contains("nested schema evaluations") == true)
    }

    @Test func deepInstanceAgainstRecursiveSchemaDoesNotCrash() throws {
        var deep = JSONInstance.array([])
        for _ in 0..<5_000 { deep = .array([deep]) }
        let compiled = try SchemaCompiler().compile(try JSONInstance.parse(##"{"items": {"$ref": "#"}}"##))
        let result = compiled.validate(deep)
        #expect(!result.isValid)
        #expect(result.errors.first?.message.contains("nested too deeply") == true)
        // The default stack budget (256 KB, for task threads) holds about 12 levels of this schema in a debug build
        // (about 13 KB per evaluation) and the whole depth limit in release (about 400 bytes); the gateway allows
        // more on its 8 MB event-loop stacks.
        var shallow = JSONInstance.array([])
        for _ in 0..<8 { shallow = .array([shallow]) }
        #expect(compiled.isValid(shallow))
        var deeper = JSONInstance.array([])
        for _ in 0..<100 { deeper = .array([deeper]) }
        #expect(compiled.validate(deeper, maxDepth: 1000, maxStackBytes: 4 << 20).isValid, "a larger budget allows more")
    }

    @Test func exactDecimalKeywords() throws {
        #expect(try validate(#"{"multipleOf": 0.1}"#, "0.3").isValid)
        #expect(try validate(#"{"type": "integer"}"#, "1e308").isValid)
        #expect(try validate(#"{"maximum": 1e308}"#, "1e309").isValid == false)
        #expect(try validate(#"{"exclusiveMinimum": 0.1}"#, "0.1000000000000000000001").isValid)
    }
}
