import GatewayCore
import NIOCore
import NIOHTTP1
import Testing

/// The request path as a snapshot builds it: the stages' order, who answers first, and that nothing after an answer
/// (no later stage, no integration) sees the request; then `run`'s own contract on a list of test stages.
@Suite struct RequestPipelineTests {
    static let config = StageFixture.config(#"""
        "trustedProxies": ["127.0.0.1/32"],
        "limits": {"maxBodySize": "1KB"},
        "domains": [{"name": "api.example.test", "mappings": [{"basePath": "/", "api": "orders"}]}],
        "apis": [{"name": "orders", "routes": [
          {"route": "GET /orders/{id}", "integration": {"type": "mock"},
           "validate": {"parameters": {"path.id": {"schema": {"type": "integer"}},
                                       "query.limit": {"schema": {"type": "integer", "maximum": 100}}}}},
          {"route": "POST /orders", "integration": {"type": "mock"},
           "validate": {"body": {"type": "object", "required": ["sku"], "properties": {"sku": {"type": "string"}}},
                        "parameters": {"query.dryRun": {"schema": {"type": "boolean"}}}}}
        ]}]
        """#)
    static let allStages = ["identity", "misdirected", "routing", "request-size", "parameter-validation", "body-validation"]

    let snapshot: GatewaySnapshot
    let log = StageLog()

    init() throws {
        snapshot = try StageFixture.snapshot(Self.config)
    }

    /// Runs `request` through the snapshot's own list, and a fresh copy of it through the same stages traced.
    func run(_ request: RequestContext) -> (stop: RequestPipeline.Stop, request: RequestContext, ran: [String]) {
        var real = request
        let stop = snapshot.pipeline.run(&real)
        var traced = request
        log.clear()
        _ = snapshot.pipeline.traced(log).run(&traced)
        return (stop, real, log.names)
    }

    // MARK: the default list

    @Test func theDefaultListRunsTheStagesInThisOrder() {
        #expect(snapshot.pipeline.stages.map(\.name) == Self.allStages)
        #expect(snapshot.pipeline.stages.count == 6)
        #expect(snapshot.pipeline.stages[0] is ClientIdentityStage)
        #expect(snapshot.pipeline.stages[1] is MisdirectedRequestStage)
        #expect(snapshot.pipeline.stages[2] is RoutingStage)
        #expect(snapshot.pipeline.stages[3] is RequestSizeStage)
        #expect(snapshot.pipeline.stages[4] is ParameterValidationStage)
        #expect(snapshot.pipeline.stages[5] is BodyValidationStage)
    }

    @Test func aValidRequestPassesEveryStageAndReachesTheIntegration() throws {
        let request = TestRequest.make(.GET, "/orders/7?limit=5", headers: [("X-Forwarded-For", "203.0.113.9")],
                                       peer: "127.0.0.1")
        let (stop, routed, ran) = run(request)
        #expect(stop.isIntegrate)
        #expect(ran == Self.allStages)
        let findings = RequestPipeline.findings(routed, apis: snapshot.apis)
        #expect(findings.clientIP == IPAddress("203.0.113.9"))
        #expect(findings.apiIndex == 0 && findings.routeIndex == 0)
        #expect(findings.apiName == "orders" && findings.routeKey == "GET /orders/{id}")

        let edge = FakeEdge(pipeline: snapshot.pipeline)
        var served = request
        #expect(edge.serve(&served) == nil)
        #expect(edge.integration.invoked == ["GET /orders/{id}"])
    }

    @Test func a404NeverReachesValidation() throws {
        // Unknown path, a body that is not JSON, invalid-looking parameters: routing answers first.
        let request = TestRequest.make(.POST, "/nope?dryRun=maybe", headers: [("Content-Type", "text/plain")],
                                       framing: .contentLength(10))
        let (stop, routed, ran) = run(request)
        try expectProblem(stop.answer, status: 404, code: .resourceNotFound, connection: .keepOpen,
                          detail: "no route matches POST /nope")
        #expect(ran == ["identity", "misdirected", "routing"])
        let findings = RequestPipeline.findings(routed, apis: snapshot.apis)
        #expect(findings.apiName == nil && findings.routeKey == nil)

        let edge = FakeEdge(pipeline: snapshot.pipeline)
        var served = request
        #expect(edge.serve(&served, body: "not json!!")?.status == 404)
        #expect(edge.integration.invoked.isEmpty)
    }

    @Test func a400NeverReachesTheIntegration() throws {
        let edge = FakeEdge(pipeline: snapshot.pipeline)
        // Parameters.
        var bad = TestRequest.make(.GET, "/orders/abc?limit=500")
        try expectProblem(edge.serve(&bad), status: 400, code: .badRequestParameters, connection: .closeIfBodyUnread,
                          extensions: ["errors"])
        #expect(run(TestRequest.make(.GET, "/orders/abc?limit=500")).ran == Array(Self.allStages.prefix(5)))
        // The body, after it was read.
        var body = TestRequest.make(.POST, "/orders", headers: [("Content-Type", "application/json")],
                                    framing: .contentLength(11))
        try expectProblem(edge.serve(&body, body: #"{"sku": 12}"#), status: 400, code: .badRequestBody,
                          connection: .closeIfBodyUnread, extensions: ["errors"])
        // Parameters are checked before the body is asked for.
        var both = TestRequest.make(.POST, "/orders?dryRun=maybe", headers: [("Content-Type", "application/json")],
                                    framing: .contentLength(11))
        try expectProblem(edge.serve(&both, body: #"{"sku": 12}"#), status: 400, code: .badRequestParameters,
                          connection: .closeIfBodyUnread, extensions: ["errors"])
        #expect(both.body == nil, "the body was never asked for")
        #expect(edge.integration.invoked.isEmpty)
    }

    @Test func a421ComesBefore404() throws {
        let request = TestRequest.make(.GET, "/nope", host: "evil.test", presentedNames: ["api.example.test"])
        let (stop, _, ran) = run(request)
        try expectProblem(stop.answer, status: 421, code: .misdirectedRequest, connection: .keepOpen)
        #expect(ran == ["identity", "misdirected"])
        // The same request over plain HTTP is routed, and not found.
        let plain = run(TestRequest.make(.GET, "/nope", host: "evil.test"))
        try expectProblem(plain.stop.answer, status: 404, code: .resourceNotFound, connection: .keepOpen)
        // A covered host on TLS is routed normally.
        let covered = run(TestRequest.make(.GET, "/orders/1", host: "api.example.test:443",
                                           presentedNames: ["api.example.test"]))
        #expect(covered.stop.isIntegrate)
    }

    @Test func a413ComesBeforeParameterAndBodyValidation() throws {
        let request = TestRequest.make(.POST, "/orders?dryRun=maybe", headers: [("Content-Type", "text/plain")],
                                       framing: .contentLength(1025))
        let (stop, routed, ran) = run(request)
        try expectProblem(stop.answer, status: 413, code: .requestTooLarge, connection: .close,
                          detail: "request body of 1025 bytes exceeds the 1024-byte limit")
        #expect(ran == ["identity", "misdirected", "routing", "request-size"])
        #expect(routed.route?.keyText == "POST /orders", "routing ran first: the 413 is logged with its route")
    }

    @Test func a415IsAnsweredBeforeTheBodyIsRead() throws {
        let request = TestRequest.make(.POST, "/orders", headers: [("Content-Type", "text/plain")],
                                       framing: .contentLength(11))
        let (stop, routed, ran) = run(request)
        try expectProblem(stop.answer, status: 415, code: .unsupportedMediaType, connection: .close)
        #expect(ran == Self.allStages)
        #expect(routed.body == nil)
    }

    @Test func readBodyThenResumeFromTheStageThatAsked() throws {
        var request = TestRequest.make(.POST, "/orders?dryRun=true", headers: [("Content-Type", "application/json")],
                                       framing: .contentLength(14))
        let asked = try #require(snapshot.pipeline.run(&request).readBody)
        #expect(asked.limit == 1024)
        try #require(asked.resumeAt == 5, "the body stage's own index")
        #expect(snapshot.pipeline.stages[asked.resumeAt] is BodyValidationStage)

        // The edge reads the body and resumes there: only the body stage runs again, then the integration.
        request.body = ByteBuffer(string: #"{"sku": "A-1"}"#)
        var traced = request
        #expect(snapshot.pipeline.run(&request, from: asked.resumeAt).isIntegrate)
        log.clear()
        #expect(snapshot.pipeline.traced(log).run(&traced, from: asked.resumeAt).isIntegrate)
        #expect(log.names == ["body-validation"])
        #expect(request.route?.keyText == "POST /orders", "what earlier stages found is still there")

        // The same with a body that does not match, and one that is not JSON.
        var invalid = TestRequest.make(.POST, "/orders", headers: [("Content-Type", "application/json")],
                                       framing: .contentLength(11))
        let again = try #require(snapshot.pipeline.run(&invalid).readBody)
        invalid.body = ByteBuffer(string: #"{"sku": 12}"#)
        let problem = try expectProblem(snapshot.pipeline.run(&invalid, from: again.resumeAt).answer, status: 400,
                                        code: .badRequestBody, connection: .closeIfBodyUnread, extensions: ["errors"])
        #expect(problem.violations == [["in": "body", "pointer": "/sku", "keyword": "type", "message": "must be string"]])
        var garbage = TestRequest.make(.POST, "/orders", headers: [("Content-Type", "application/json")],
                                       framing: .chunked)
        let chunked = try #require(snapshot.pipeline.run(&garbage).readBody)
        #expect(chunked.limit == 1024 && chunked.resumeAt == 5)
        garbage.body = ByteBuffer(string: "sku=A-1")
        try expectProblem(snapshot.pipeline.run(&garbage, from: chunked.resumeAt).answer, status: 400,
                          code: .badRequestBody, connection: .keepOpen)
    }

    // MARK: run's contract, on test stages

    func stages(_ behaviours: [(String, RecordingStage.Behaviour)]) -> RequestPipeline {
        RequestPipeline(stages: behaviours.map { RecordingStage(name: $0.0, behaviour: $0.1, log: log) })
    }

    @Test func stagesRunInListOrder() {
        let pipeline = stages([("a", .pass), ("b", .pass), ("c", .pass)])
        var request = TestRequest.make(.GET, "/x")
        #expect(pipeline.run(&request).isIntegrate)
        #expect(log.names == ["a", "b", "c"])
    }

    @Test func aStageThatAnswersStopsTheRest() throws {
        let pipeline = stages([("a", .pass), ("b", .answer(418)), ("c", .pass)])
        var request = TestRequest.make(.GET, "/x")
        let answer = try #require(pipeline.run(&request).answer)
        #expect(answer.status == 418 && answer.body == Array("b".utf8))
        #expect(log.names == ["a", "b"])
    }

    @Test func readBodyReportsTheStageThatAskedAndResumingRunsItAgain() throws {
        let pipeline = stages([("a", .pass), ("b", .needBody(limit: 100)), ("c", .pass)])
        var request = TestRequest.make(.POST, "/x", framing: .contentLength(3))
        let stop = try #require(pipeline.run(&request).readBody)
        #expect(stop.limit == 100 && stop.resumeAt == 1)
        #expect(log.names == ["a", "b"])

        request.body = ByteBuffer(string: "abc")
        #expect(pipeline.run(&request, from: stop.resumeAt).isIntegrate)
        #expect(log.names == ["a", "b", "b", "c"], "b runs again, a does not")
    }

    @Test func suspendReportsTheStageThatWaitsAndResumingHandsItTheResult() throws {
        let operation = FakeOperation(value: 42)
        let pipeline = stages([("a", .pass), ("b", .pass), ("c", .await(operation)), ("d", .pass)])
        var request = TestRequest.make(.GET, "/x")
        let stop = try #require(pipeline.run(&request).suspend)
        #expect(stop.operation === operation)
        #expect(stop.resumeAt == 2)
        #expect(log.names == ["a", "b", "c"])

        // The shell starts the operation and puts its result in the context, then resumes at the stage.
        let box = ResultBox()
        stop.operation.start { box.set($0) }
        let result = try #require(box.result, "the operation completed")
        request.operationResult = result
        #expect(pipeline.run(&request, from: stop.resumeAt).isIntegrate)
        #expect(log.names == ["a", "b", "c", "c", "d"])
        #expect(request.operationResult == nil, "the stage took the result")
        #expect(request.responseHeaders.map { "\($0.name): \($0.value)" } == ["x-operation: 42"])
        #expect(!operation.wasCancelled)
    }

    @Test func aFailedOperationLetsTheStageAnswer() throws {
        let pipeline = stages([("a", .pass), ("b", .await(FakeOperation(value: 1))), ("c", .pass)])
        var request = TestRequest.make(.GET, "/x")
        let stop = try #require(pipeline.run(&request).suspend)
        request.operationResult = .failure(FakeOperationError())
        let answer = try #require(pipeline.run(&request, from: stop.resumeAt).answer)
        #expect(answer.status == 503 && answer.body == Array("store unavailable".utf8))
        #expect(log.names == ["a", "b", "b"])
    }

    @Test func runningFromTheEndOrAnEmptyListIntegrates() {
        let pipeline = stages([("a", .answer(500))])
        var request = TestRequest.make(.GET, "/x")
        #expect(pipeline.run(&request, from: 1).isIntegrate)
        #expect(RequestPipeline(stages: []).run(&request).isIntegrate)
        #expect(log.names.isEmpty)
    }
}
