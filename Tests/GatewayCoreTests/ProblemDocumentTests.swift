import Testing
@testable import GatewayCore

@Suite struct ProblemDocumentTests {
    func text(_ d: ProblemDocument) -> String { String(decoding: d.encoded(), as: UTF8.self) }

    @Test func exactBytes() {
        let d = ProblemDocument(code: .throttled, detail: "Rate limit exceeded", requestId: "abc-1")
        #expect(text(d) == #"{"type":"about:blank","title":"Too Many Requests","status":429,"code":"THROTTLED","detail":"Rate limit exceeded","requestId":"abc-1"}"#)
        #expect(ProblemDocument.contentType == "application/problem+json")
    }

    @Test func detailIsEscaped() {
        let d = ProblemDocument(code: .resourceNotFound, detail: "no route for \"GET /a\\b\"\n", requestId: "r")
        #expect(text(d) == #"{"type":"about:blank","title":"Not Found","status":404,"code":"RESOURCE_NOT_FOUND","detail":"no route for \"GET /a\\b\"\n","requestId":"r"}"#)
    }

    @Test func statusOverrideChangesStatusAndTitle() {
        let d = ProblemDocument(code: .wafFiltered, detail: "blocked", requestId: "r", status: 404)
        #expect(d.status == 404)
        #expect(text(d) == #"{"type":"about:blank","title":"Not Found","status":404,"code":"WAF_FILTERED","detail":"blocked","requestId":"r"}"#)
    }

    @Test func extensionsAreAppendedInOrderVerbatim() {
        let d = ProblemDocument(code: .invalidConfig, detail: "1 error", requestId: "r",
                                extensions: [("diagnostics", #"[{"pointer":"/apis/0","message":"bad"}]"#), ("retry", "false")])
        #expect(text(d) == #"{"type":"about:blank","title":"Bad Request","status":400,"code":"INVALID_CONFIG","detail":"1 error","requestId":"r","diagnostics":[{"pointer":"/apis/0","message":"bad"}],"retry":false}"#)
    }

    @Test func nonASCIIDetail() {
        let d = ProblemDocument(code: .badRequest, detail: "ungültig ✗", requestId: "r")
        #expect(text(d).contains(#""detail":"ungültig ✗""#))
    }
}
