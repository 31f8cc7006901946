import GatewayConfig
import NIOCore
import NIOHTTP1
import Testing
@testable import GatewayCore

/// The cache stage compiled from gateway.json and run through the snapshot's pipeline with a moved clock.
@Suite struct CacheStageTests {
    let clock = ManualClock()

    func snapshot() throws -> GatewaySnapshot {
        try StageFixture.snapshot(StageFixture.config(#"""
            "apis": [{"name": "a", "routes": [
              {"route": "ANY /items/{id}", "integration": {"type": "mock"}, "cache": {"ttl": 30}}]}]
            """#), state: GatewayState(clock: clock))
    }

    func run(_ s: GatewaySnapshot, _ method: HTTPMethod = .GET, _ target: String = "/items/1",
             headers: [(String, String)] = []) -> (GatewayAnswer?, RequestContext) {
        var request = TestRequest.make(method, target, headers: headers)
        switch s.pipeline.run(&request) {
        case .respond(let answer): return (answer, request)
        default: return (nil, request)
        }
    }

    func fill(_ s: GatewaySnapshot, _ request: RequestContext, body: String, headers: [(name: String, value: String)] = []) throws {
        let fill = try #require(request.cacheFill)
        fill.store.store(fill.key, vary: [], requestHeaders: fill.requestHeaders,
                         response: CachedResponse(status: 200, headers: headers, body: ByteBuffer(string: body),
                                                  storedAt: clock.now(), ttlSeconds: fill.ttlSeconds),
                         tag: fill.tag, now: clock.now())
    }

    @Test func aMissMarksTheRequestForStoringAndAHitAnswersWithTheStoredBytes() throws {
        let s = try snapshot()
        let (miss, request) = run(s)
        #expect(miss == nil && request.cacheOutcome == .miss && request.cacheFill != nil)
        #expect(request.responseHeaders.map(\.value) == ["Portcullis; fwd=miss"])
        try fill(s, request, body: "stored")
        clock.advance(by: .seconds(12))
        let (hit, hitRequest) = run(s)
        let answer = try #require(hit)
        #expect(answer.status == 200 && answer.bodyBuffer == ByteBuffer(string: "stored") && answer.body.isEmpty)
        // The stored fields go out as stored (as lines for HTTP/1.1); Cache-Status and Age from the freshness.
        #expect(answer.headers.isEmpty)
        #expect(answer.fieldLines == ByteBuffer(string: "content-length: 6\r\n"))
        #expect(answer.cacheFreshness == CacheFreshness(ttl: 18, age: 12))
        #expect(hitRequest.cacheOutcome == .hit && hitRequest.responseHeaders.isEmpty)
        clock.advance(by: .seconds(18))
        #expect(run(s).0 == nil)  // expired
    }

    @Test func headIsAnsweredFromAGetEntryButNeverFillsIt() throws {
        let s = try snapshot()
        let (_, head) = run(s, .HEAD)
        #expect(head.cacheOutcome == .miss && head.cacheFill == nil)
        let (_, get) = run(s)
        try fill(s, get, body: "for both")
        #expect(run(s, .HEAD).0?.bodyBuffer == ByteBuffer(string: "for both"))
    }

    @Test func otherMethodsBypassWithTheirReason() throws {
        let (answer, request) = run(try snapshot(), .POST)
        #expect(answer == nil && request.cacheOutcome == .bypass && request.cacheFill == nil)
        #expect(request.responseHeaders.map(\.value) == ["Portcullis; fwd=method"])
    }

    @Test func matchingValidatorsGet304WithoutContentLength() throws {
        let s = try snapshot()
        let (_, request) = run(s)
        try fill(s, request, body: "x", headers: [("ETag", #"W/"v1""#), ("Cache-Control", "max-age=30"), ("X-Other", "y")])
        let (answer, _) = run(s, headers: [("If-None-Match", #""v1""#)])
        #expect(answer?.status == 304 && answer?.omitsContentLength == true && answer?.bodyBuffer == nil)
        #expect(answer?.headers.map(\.name) == ["ETag", "Cache-Control"])
        #expect(run(s, headers: [("If-None-Match", #""v2""#)]).0?.status == 200)
        #expect(run(s, headers: [("If-None-Match", "*")]).0?.status == 304)
    }

    @Test func httpDatesParseInTheirPreferredFormOnly() {
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == nil)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994") == nil)
        #expect(HTTPDate.parse("Sun, 32 Nov 1994 08:49:37 GMT") == nil)
    }
}
