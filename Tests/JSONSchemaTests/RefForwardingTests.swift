import Testing
@testable import JSONSchema

/// Nodes that are only a `$ref` are evaluated as their target, within a resource, with unchanged results.
@Suite struct RefForwardingTests {
    func compile(_ schema: String) throws -> CompiledSchema {
        try SchemaCompiler().compile(try JSONInstance.parse(schema))
    }

    @Test func bareReferencesWithinAResourceForwardToTheirTarget() throws {
        let schema = try compile(#"""
        {"properties": {"a": {"$ref": "#/$defs/b"}, "c": {"$ref": "#/$defs/d"}, "e": {"$ref": "#/$defs/x"}},
         "$defs": {"b": {"$ref": "#/$defs/d"}, "d": {"type": "integer"},
                   "x": {"$id": "https://example.test/x", "type": "string"}}}
        """#)
        let forwarded = schema.nodes.compactMap(\.forwardsTo)
        // a → b → d and c → d, and b → d itself; the hop into the other resource (e → x) is kept.
        #expect(forwarded.count == 3)
        #expect(Set(forwarded).count == 1)
        let result = schema.validate(try JSONInstance.parse(#"{"a": "no", "c": 1.5, "e": 3}"#))
        #expect(result.errors.map(\.instancePointer) == ["/a", "/c", "/e"])
        #expect(result.errors.map(\.schemaLocation) == ["/$defs/d/type", "/$defs/d/type", "/$defs/x/type"])
    }

    @Test func aReferenceCycleStillStopsAtTheDepthLimit() throws {
        let schema = try compile(##"{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}"##)
        let result = schema.validate(JSONInstance.null)
        #expect(!result.isValid)
        #expect(result.errors.first?.message.contains("nested schema evaluations") == true)
    }
}
