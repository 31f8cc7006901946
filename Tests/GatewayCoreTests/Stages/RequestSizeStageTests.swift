import GatewayCore
import NIOHTTP1
import Testing

/// `limits.maxBodySize` → RequestSizeStage: a declared Content-Length over the limit is refused before any of the
/// body is read (413, close); a length at the limit, no body, or a chunked body (held to the limit by the edge as it
/// streams) go on.
@Suite struct RequestSizeStageTests {
    static let api = #""apis": [{"name": "a", "routes": [{"route": "POST /upload", "integration": {"type": "mock"}}]}]"#

    func stage(_ limits: String = #""limits": {"maxBodySize": "1KB"}, "#) throws -> RequestSizeStage {
        try StageFixture.stage(RequestSizeStage.self, config: StageFixture.config(limits + Self.api))
    }

    func evaluate(_ stage: RequestSizeStage, _ framing: RequestBodyFraming) -> StageVerdict {
        var request = TestRequest.make(.POST, "/upload", framing: framing)
        return stage.evaluate(&request)
    }

    @Test func aDeclaredLengthOverTheLimitIs413AndCloses() throws {
        let stage = try stage()
        #expect(stage.name == "request-size")
        try expectProblem(evaluate(stage, .contentLength(1025)).answer, status: 413, code: .requestTooLarge,
                          connection: .close, detail: "request body of 1025 bytes exceeds the 1024-byte limit")
        try expectProblem(evaluate(stage, .contentLength(Int(Int32.max))).answer, status: 413, code: .requestTooLarge,
                          connection: .close, detail: "request body of 2147483647 bytes exceeds the 1024-byte limit")
    }

    @Test func aLengthAtTheLimitGoesOn() throws {
        let stage = try stage()
        #expect(evaluate(stage, .contentLength(1024)).isNext)
        #expect(evaluate(stage, .contentLength(0)).isNext)
        #expect(evaluate(stage, .none).isNext)
    }

    @Test func aChunkedBodyIsLeftToTheEdge() throws {
        #expect(evaluate(try stage(), .chunked).isNext)
    }

    @Test func theDefaultLimitIs10MiB() throws {
        let stage = try stage("")
        #expect(evaluate(stage, .contentLength(10 * 1024 * 1024)).isNext)
        try expectProblem(evaluate(stage, .contentLength(10 * 1024 * 1024 + 1)).answer, status: 413,
                          code: .requestTooLarge, connection: .close,
                          detail: "request body of 10485761 bytes exceeds the 10485760-byte limit")
    }

    @Test func theLimitComesFromTheSnapshotItWasBuiltFor() throws {
        // A number of bytes works as well as a size string.
        let stage = try stage(#""limits": {"maxBodySize": 100}, "#)
        #expect(evaluate(stage, .contentLength(100)).isNext)
        try expectProblem(evaluate(stage, .contentLength(101)).answer, status: 413, code: .requestTooLarge,
                          connection: .close, detail: "request body of 101 bytes exceeds the 100-byte limit")
    }
}
