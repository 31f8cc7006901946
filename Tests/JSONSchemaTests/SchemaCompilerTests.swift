import Testing
import JSONSchema

/// Invalid schemas fail to compile with the pointer of the offending value; dialects follow `$schema`.
@Suite struct SchemaCompilerTests {
    func compileError(_ schema: String, compiler: SchemaCompiler = SchemaCompiler()) -> SchemaError? {
        do {
            _ = try compiler.compile(try JSONInstance.parse(schema))
            return nil
        } catch let error as SchemaError {
            return error
        } catch {
            return SchemaError(pointer: "?", message: "\(error)")
        }
    }

    @Test(arguments: [
        (#"{"properties": {"a": {"minimum": "1"}}}"#, "/properties/a/minimum"),
        (#"{"type": "strin"}"#, "/type"),
        (##"{"items": {"$ref": "#/$defs/missing"}}"##, "/items/$ref"),
        (#"{"$ref": "http://elsewhere.test/schema.json"}"#, "/$ref"),
        (#"{"allOf": []}"#, "/allOf"),
        (#"{"required": [1]}"#, "/required"),
        (#"{"multipleOf": 0}"#, "/multipleOf"),
        (#"{"minLength": -1}"#, "/minLength"),
        (#"{"properties": {"a": 3}}"#, "/properties/a"),
        (#"{"pattern": "("}"#, "/pattern"),
    ])
    func invalidSchemasPointAtTheBadValue(schema: String, pointer: String) {
        #expect(compileError(schema)?.pointer == pointer)
    }

    @Test func unknownRequiredVocabularyIsAnError() throws {
        var compiler = SchemaCompiler()
        try compiler.register(try JSONInstance.parse(#"""
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "http://example.test/meta",
             "$vocabulary": {"https://json-schema.org/draft/2020-12/vocab/core": true, "http://example.test/vocab/x": true}}
            """#), uri: "http://example.test/meta")
        #expect(compileError(#"{"$schema": "http://example.test/meta"}"#, compiler: compiler)?.message.contains("vocabulary") == true)
    }

    @Test func dialectFollowsSchemaKeyword() throws {
        let draft4 = try SchemaCompiler().compile(try JSONInstance.parse(
            #"{"$schema": "http://json-schema.org/draft-04/schema#", "maximum": 5, "exclusiveMaximum": true}"#))
        #expect(!draft4.isValid(.number(JSONNumber(5))))
        let defaultDialect = try SchemaCompiler().compile(try JSONInstance.parse(#"{"prefixItems": [{"type": "string"}]}"#))
        #expect(!defaultDialect.isValid(.array([.number(JSONNumber(1))])))
    }

    @Test func registeredDocumentsResolveByURIAndId() throws {
        var compiler = SchemaCompiler()
        try compiler.register(try JSONInstance.parse(#"{"$id": "http://example.test/types", "$defs": {"pos": {"minimum": 0}}}"#),
                              uri: "http://example.test/loaded-from")
        let schema = try compiler.compile(try JSONInstance.parse(#"{"$ref": "http://example.test/types#/$defs/pos"}"#))
        #expect(schema.isValid(.number(JSONNumber(1))))
        #expect(!schema.isValid(.number(JSONNumber(-1))))
    }

    @Test func builtInMetaSchemasValidateSchemas() throws {
        for dialect in Dialect.allCases {
            let meta = try SchemaCompiler().compile(try JSONInstance.parse(#"{"$ref": "\#(dialect.metaSchemaURI)"}"#))
            #expect(meta.isValid(try JSONInstance.parse(#"{"type": "object", "properties": {"a": {"minimum": 1}}}"#)))
            #expect(!meta.isValid(try JSONInstance.parse(#"{"type": "object", "properties": {"a": {"minimum": "1"}}}"#)))
        }
    }
}
