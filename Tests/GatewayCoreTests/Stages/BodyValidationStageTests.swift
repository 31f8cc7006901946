import GatewayCore
import NIOCore
import NIOHTTP1
import Testing

/// A route's `validate.body` → BodyValidationStage: the body must be JSON (415 otherwise, 400 when absent), is asked
/// for in full (bounded by `limits.maxBodySize`), and must match the schema (400 listing every violation).
@Suite struct BodyValidationStageTests {
    static let config = StageFixture.config(##"""
        "limits": {"maxBodySize": "64KB"},
        "models": {"NewOrder": {"type": "object", "required": ["sku", "qty"], "additionalProperties": false,
                                "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}}},
        "apis": [{"name": "orders", "routes": [
          {"route": "POST /orders", "integration": {"type": "mock"}, "validate": {"body": {"$ref": "#/models/NewOrder"}}},
          {"route": "POST /capped", "integration": {"type": "mock"},
           "validate": {"maxErrors": 2, "body": {"type": "array", "items": {"type": "integer"}}}},
          {"route": "POST /notes", "integration": {"type": "mock"}},
          {"route": "POST /params/{id}", "integration": {"type": "mock"},
           "validate": {"parameters": {"path.id": {"schema": {"type": "integer"}}}}}
        ]}]
        """##)

    /// A routed request (the same snapshot's RoutingStage ran first), ready for the body stage.
    func routed(_ target: String, contentType: String? = "application/json", framing: RequestBodyFraming,
                body: String? = nil, sourceLocation: SourceLocation = #_sourceLocation)
        throws -> (BodyValidationStage, RequestContext) {
        let snapshot = try StageFixture.snapshot(Self.config)
        let routing = try StageFixture.stage(RoutingStage.self, in: snapshot)
        let stage = try StageFixture.stage(BodyValidationStage.self, in: snapshot)
        var request = TestRequest.make(.POST, target, headers: contentType.map { [("Content-Type", $0)] } ?? [],
                                       framing: framing)
        try #require(routing.evaluate(&request).isNext, "routed", sourceLocation: sourceLocation)
        request.body = body.map { ByteBuffer(string: $0) }
        return (stage, request)
    }

    /// The verdict once the body (as the edge read it) is in the context.
    func evaluate(_ target: String = "/orders", body: String) throws -> StageVerdict {
        var (stage, request) = try routed(target, framing: .contentLength(body.utf8.count), body: body)
        return stage.evaluate(&request)
    }

    @Test func aRouteWithABodySchemaAndNoBodyIs400() throws {
        var (stage, request) = try routed("/orders", contentType: nil, framing: .none)
        #expect(stage.name == "body-validation")
        try expectProblem(stage.evaluate(&request).answer, status: 400, code: .badRequestBody, connection: .keepOpen,
                          detail: "this route requires a JSON request body")
    }

    @Test func aBodyThatIsNotJSONIs415AndCloses() throws {
        for contentType in ["text/plain", "application/jsonx", "application/x-www-form-urlencoded", nil] {
            var (stage, request) = try routed("/orders", contentType: contentType, framing: .contentLength(12))
            try expectProblem(stage.evaluate(&request).answer, status: 415, code: .unsupportedMediaType,
                              connection: .close,
                              detail: "the request body must be JSON (application/json or a +json media type)")
            #expect(request.body == nil)
        }
    }

    @Test func aJSONBodyIsAskedForUpToTheLimit() throws {
        for contentType in ["application/json", "application/json; charset=utf-8", "Application/JSON",
                            "application/merge-patch+json"] {
            var (stage, request) = try routed("/orders", contentType: contentType, framing: .contentLength(20))
            #expect(stage.evaluate(&request).readBodyLimit == 64 * 1024, "\(contentType)")
        }
        var (stage, request) = try routed("/orders", framing: .chunked)
        #expect(stage.evaluate(&request).readBodyLimit == 64 * 1024)
    }

    @Test func aValidBodyGoesOn() throws {
        #expect(try evaluate(body: #"{"sku": "A-1", "qty": 2}"#).isNext)
        #expect(try evaluate("/capped", body: "[1, 2, 3]").isNext)
    }

    @Test func aBodyThatDoesNotParseIs400AndKeepsTheConnection() throws {
        let verdict = try evaluate(body: #"{"sku": "A-1", "qty": "#)
        let problem = try expectProblem(verdict.answer, status: 400, code: .badRequestBody, connection: .keepOpen)
        #expect(problem.detail?.hasPrefix("the request body is not valid JSON: ") == true, "\(problem.detail ?? "")")
        // A repeated key is not JSON the gateway forwards either.
        let repeated = try evaluate(body: #"{"sku": "A-1", "qty": 1, "qty": 2}"#)
        let duplicate = try expectProblem(repeated.answer, status: 400, code: .badRequestBody, connection: .keepOpen)
        #expect(duplicate.detail?.hasPrefix("the request body is not valid JSON: ") == true, "\(duplicate.detail ?? "")")
    }

    @Test func aSchemaViolationIs400ListingEveryViolation() throws {
        let verdict = try evaluate(body: #"{"qty": 0, "note": "x"}"#)
        let problem = try expectProblem(verdict.answer, status: 400, code: .badRequestBody,
                                        connection: .closeIfBodyUnread,
                                        detail: "the request body does not match the route's schema",
                                        extensions: ["errors"])
        let violations = try #require(problem.violations)
        #expect(violations.count == 3, "\(violations)")
        #expect(Set(violations) == [
            ["in": "body", "pointer": "", "keyword": "required", "message": "must have required property 'sku'"],
            ["in": "body", "pointer": "/qty", "keyword": "minimum", "message": "must be >= 1"],
            ["in": "body", "pointer": "", "keyword": "additionalProperties", "message": "must NOT have additional property 'note'"],
        ])
    }

    @Test func theRoutesCapTruncatesTheList() throws {
        let verdict = try evaluate("/capped", body: #"["a", "b", "c"]"#)
        let problem = try expectProblem(verdict.answer, status: 400, code: .badRequestBody,
                                        connection: .closeIfBodyUnread,
                                        detail: "the request body does not match the route's schema",
                                        extensions: ["errors", "errorsTruncated"])
        #expect(problem.violations == [
            ["in": "body", "pointer": "/0", "keyword": "type", "message": "must be integer"],
            ["in": "body", "pointer": "/1", "keyword": "type", "message": "must be integer"],
        ])
        #expect(problem.json["errorsTruncated"] as? Bool == true)
    }

    @Test func routesWithoutABodySchemaGoOnWithoutReading() throws {
        for target in ["/notes", "/params/1"] {
            var (stage, request) = try routed(target, contentType: "text/plain", framing: .contentLength(5))
            #expect(stage.evaluate(&request).isNext, "\(target)")
            var (_, empty) = try routed(target, contentType: nil, framing: .none)
            #expect(stage.evaluate(&empty).isNext, "\(target)")
        }
        var unrouted = TestRequest.make(.POST, "/orders", framing: .contentLength(5))
        #expect(BodyValidationStage(maxBodySize: 10).evaluate(&unrouted).isNext)
    }
}
