import GatewayCore
import JSONSchema
import Testing
@testable import GatewayConfig

/// `models` and route `validate`: schemas compile when the config loads, and every mistake is reported at the
/// pointer of the bad value inside gateway.json.
@Suite struct ValidationDecoderTests {
    func route(_ validate: String, key: String = "POST /orders/{id}") -> String {
        #"{"route": "\#(key)", "integration": {"type": "mock"}, "validate": \#(validate)}"#
    }

    let models = ##""models": {"Order": {"type": "object", "required": ["id"], "properties": {"item": {"$ref": "#/models/Item"}}}, "Item": {"type": "string"}}"##

    @Test func compilesBodyAndParameterChecks() throws {
        let result = TestConfig.compile(TestConfig.withRoutes([route(#"""
            {"body": {"$ref": "#/models/Order"}, "maxErrors": 10,
             "parameters": {"path.id": {"schema": {"type": "integer"}}, "query.dryRun": {"schema": {"type": ["boolean", "null"]}},
                            "header.X-Tenant": {"required": true}}}
            """#)], top: models))
        #expect(result.diagnostics == [])
        let validation = try #require(TestConfig.firstRoute(result)?.validation)
        #expect(validation.maxErrors == 10)
        let body = try #require(validation.body)
        #expect(body.validate(try JSONInstance.parse(Array(#"{"id": 1, "item": "x"}"#.utf8))).isValid)
        let invalid = body.validate(try JSONInstance.parse(Array(#"{"item": 5}"#.utf8)))
        #expect(Set(invalid.errors.map(\.keyword)) == ["required", "type"], "the model's own $ref resolved too")
        #expect(validation.parameters.map(\.name) == ["id", "dryRun", "x-tenant"])
        #expect(validation.parameters.map(\.location) == [.path, .query, .header])
        #expect(validation.parameters.map(\.required) == [true, false, true], "path parameters are always present")
        #expect(validation.parameters[0].coercion == ParameterCoercion(integer: true))
        #expect(validation.parameters[1].coercion == ParameterCoercion(boolean: true))
    }

    @Test func mistakesAreReportedAtTheirPointers() {
        let lines = TestConfig.lines(TestConfig.withRoutes([route(#"""
            {"body": {"type": "object", "minProperties": "two"},
             "parameters": {"path.nope": {}, "cookie.a": {}, "query.n": {"schema": {"$ref": "#/models/Missing"}, "required": "yes"}},
             "strict": true}
            """#)], top: models))
        #expect(lines.contains { $0.hasPrefix("/apis/0/routes/0/validate/body/minProperties: ") }, "\(lines)")
        #expect(lines.contains(#"/apis/0/routes/0/validate/parameters/path.nope: route "POST /orders/{id}" has no path parameter "nope" (it has {id})"#), "\(lines)")
        #expect(lines.contains(#"/apis/0/routes/0/validate/parameters/cookie.a: parameter keys are "path.NAME", "query.NAME" or "header.NAME" (got "cookie.a")"#), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("/apis/0/routes/0/validate/parameters/query.n/schema") && $0.contains("Missing") }, "\(lines)")
        #expect(lines.contains("/apis/0/routes/0/validate/parameters/query.n/required: must be true or false (got string)"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix(#"/apis/0/routes/0/validate/strict: unknown key "strict""#) }, "\(lines)")
    }

    @Test func aBrokenModelIsAnErrorEvenWhenUnused() {
        let lines = TestConfig.lines(TestConfig.top(#""models": {"Bad": {"type": "objekt"}}"#))
        #expect(lines.count == 1 && lines[0].hasPrefix("/models/Bad/type: "), "\(lines)")
        #expect(TestConfig.lines(TestConfig.top(#""models": []"#)) == ["/models: must be an object of schemas (got array)"])
    }

    @Test func aModelWithItsOwnIdResolvesItsOwnDefinitions() throws {
        let result = TestConfig.compile(TestConfig.withRoutes([route(##"{"body": {"$ref": "#/models/Order"}}"##)], top: ##"""
            "models": {"Order": {"$id": "urn:example:order", "type": "object", "properties": {"sku": {"$ref": "#/$defs/sku"}},
                                 "$defs": {"sku": {"type": "string", "pattern": "^[A-Z]+$"}}}}
            """##))
        #expect(result.diagnostics == [])
        let body = try #require(TestConfig.firstRoute(result)?.validation?.body)
        #expect(body.validate(try JSONInstance.parse(Array(#"{"sku": "ABC"}"#.utf8))).isValid)
        #expect(body.validate(try JSONInstance.parse(Array(#"{"sku": "abc"}"#.utf8))).errors.map(\.keyword) == ["pattern"])
    }

    @Test func schemaStringsAreNotEnvironmentExpanded() throws {
        let result = TestConfig.compile(TestConfig.withRoutes([route(#"{"body": {"type": "string", "pattern": "^\\$\\{X\\}$"}}"#)]))
        #expect(result.diagnostics == [])
        let body = try #require(TestConfig.firstRoute(result)?.validation?.body)
        #expect(body.validate(.string("${X}")).isValid)
    }
}
