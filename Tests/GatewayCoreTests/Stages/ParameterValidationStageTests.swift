import GatewayCore
import NIOHTTP1
import Testing

/// A route's `validate.parameters` → ParameterValidationStage: path, query and header values against their schemas,
/// every violation in one 400 (`errors`), and a validated header that Connection would strip is refused.
@Suite struct ParameterValidationStageTests {
    static let config = StageFixture.config(#"""
        "apis": [{"name": "orders", "routes": [
          {"route": "GET /orders/{id}", "integration": {"type": "mock"},
           "validate": {"parameters": {
             "path.id": {"schema": {"type": "integer", "minimum": 1}},
             "query.limit": {"schema": {"type": "integer", "maximum": 100}},
             "query.dryRun": {"schema": {"type": "boolean"}},
             "header.X-Tenant": {"required": true, "schema": {"type": "string", "pattern": "^[a-z]+$"}}}}},
          {"route": "GET /capped/{id}", "integration": {"type": "mock"},
           "validate": {"maxErrors": 2, "parameters": {
             "path.id": {"schema": {"type": "integer", "minimum": 1}},
             "query.a": {"required": true}, "query.b": {"required": true}, "query.c": {"required": true}}}},
          {"route": "GET /open/{id}", "integration": {"type": "mock"}},
          {"route": "POST /bodyonly/{id}", "integration": {"type": "mock"}, "validate": {"body": {"type": "object"}}}
        ]}]
        """#)

    /// Routes the request with the same snapshot's RoutingStage (which writes the path parameters), then runs the
    /// parameter stage on it.
    func evaluate(_ target: String, method: HTTPMethod = .GET, headers: [(String, String)] = [],
                  sourceLocation: SourceLocation = #_sourceLocation) throws -> StageVerdict {
        let snapshot = try StageFixture.snapshot(Self.config)
        let routing = try StageFixture.stage(RoutingStage.self, in: snapshot)
        let stage = try StageFixture.stage(ParameterValidationStage.self, in: snapshot)
        var request = TestRequest.make(method, target, headers: headers)
        try #require(routing.evaluate(&request).isNext, "routed", sourceLocation: sourceLocation)
        return stage.evaluate(&request)
    }

    func expectInvalid(_ verdict: StageVerdict, _ violations: [[String: String]], truncated: Bool = false,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let problem = try expectProblem(
            verdict.answer, status: 400, code: .badRequestParameters, connection: .closeIfBodyUnread,
            detail: "the request's parameters are invalid",
            extensions: truncated ? ["errors", "errorsTruncated"] : ["errors"], sourceLocation: sourceLocation)
        #expect(problem.violations == violations, sourceLocation: sourceLocation)
        #expect(problem.rawViolations?.count == violations.count, sourceLocation: sourceLocation)
        if truncated { #expect(problem.json["errorsTruncated"] as? Bool == true, sourceLocation: sourceLocation) }
    }

    @Test func validParametersGoOn() throws {
        #expect(ParameterValidationStage().name == "parameter-validation")
        #expect(try evaluate("/orders/7?limit=100&dryRun=true", headers: [("X-Tenant", "acme")]).isNext)
        // Optional query parameters may be absent; header names match case-insensitively.
        #expect(try evaluate("/orders/7", headers: [("x-tenant", "acme")]).isNext)
        // A repeated query parameter: the first value is checked.
        #expect(try evaluate("/orders/7?limit=5&limit=500", headers: [("X-TENANT", "acme")]).isNext)
    }

    @Test func aMissingRequiredHeaderIsListed() throws {
        try expectInvalid(try evaluate("/orders/7"), [
            ["in": "header", "name": "x-tenant", "keyword": "required", "message": "is required"],
        ])
    }

    @Test func everyInvalidParameterIsListedInConfigOrder() throws {
        try expectInvalid(try evaluate("/orders/0?limit=500&dryRun=maybe", headers: [("X-Tenant", "ACME")]), [
            ["in": "path", "name": "id", "keyword": "minimum", "message": "must be >= 1"],
            ["in": "query", "name": "limit", "keyword": "maximum", "message": "must be <= 100"],
            ["in": "query", "name": "dryRun", "keyword": "type", "message": "must be boolean"],
            ["in": "header", "name": "x-tenant", "keyword": "pattern", "message": #"must match pattern "^[a-z]+$""#],
        ])
    }

    @Test func eachLocationOnItsOwn() throws {
        try expectInvalid(try evaluate("/orders/abc", headers: [("X-Tenant", "acme")]), [
            ["in": "path", "name": "id", "keyword": "type", "message": "must be integer"],
        ])
        try expectInvalid(try evaluate("/orders/7?limit=ten", headers: [("X-Tenant", "acme")]), [
            ["in": "query", "name": "limit", "keyword": "type", "message": "must be integer"],
        ])
        try expectInvalid(try evaluate("/orders/7?limit=%ZZ", headers: [("X-Tenant", "acme")]), [
            ["in": "query", "name": "limit", "keyword": "encoding", "message": "is not valid percent-encoded UTF-8"],
        ])
        // Repeated header fields are checked as one value joined with ", ".
        try expectInvalid(try evaluate("/orders/7", headers: [("X-Tenant", "acme"), ("X-Tenant", "bravo")]), [
            ["in": "header", "name": "x-tenant", "keyword": "pattern", "message": #"must match pattern "^[a-z]+$""#],
        ])
    }

    @Test func theRoutesCapTruncatesTheList() throws {
        try expectInvalid(try evaluate("/capped/0"), [
            ["in": "path", "name": "id", "keyword": "minimum", "message": "must be >= 1"],
            ["in": "query", "name": "a", "keyword": "required", "message": "is required"],
        ], truncated: true)
    }

    @Test func connectionNominatingAValidatedHeaderIs400AndCloses() throws {
        let verdict = try evaluate("/orders/7", headers: [("X-Tenant", "acme"), ("Connection", "keep-alive, X-TENANT")])
        try expectProblem(verdict.answer, status: 400, code: .badRequest, connection: .close,
                          detail: "Connection must not nominate x-tenant, which this route validates")
        // Even when the header is absent, and before any other violation is looked at.
        let absent = try evaluate("/orders/0", headers: [("Connection", "x-tenant")])
        try expectProblem(absent.answer, status: 400, code: .badRequest, connection: .close,
                          detail: "Connection must not nominate x-tenant, which this route validates")
    }

    @Test func connectionNominatingOtherHeadersIsFine() throws {
        #expect(try evaluate("/orders/7", headers: [("X-Tenant", "acme"), ("Connection", "close, x-other")]).isNext)
        #expect(try evaluate("/orders/7", headers: [("X-Tenant", "acme"), ("Connection", "keep-alive")]).isNext)
    }

    @Test func withoutParameterChecksTheStageGoesOn() throws {
        // No `validate` at all, and a `validate` with only a body schema.
        #expect(try evaluate("/open/0?limit=junk", headers: [("Connection", "x-tenant")]).isNext)
        #expect(try evaluate("/bodyonly/0", method: .POST, headers: [("Connection", "x-tenant")]).isNext)
        // An unrouted request (no route in the context) is not this stage's business.
        var request = TestRequest.make(.GET, "/orders/0")
        #expect(ParameterValidationStage().evaluate(&request).isNext)
    }
}
