import GatewayCore
import Testing

/// MisdirectedRequestStage: on TLS, the Host must be a name the connection's certificate covers (421 otherwise);
/// plain HTTP is never checked.
@Suite struct MisdirectedRequestStageTests {
    static let config = StageFixture.config(
        #""apis": [{"name": "a", "routes": [{"route": "GET /ping", "integration": {"type": "mock"}}]}]"#)

    func evaluate(host: String?, names: [String]?) throws -> (StageVerdict, RequestContext) {
        let stage = try StageFixture.stage(MisdirectedRequestStage.self, config: Self.config)
        var request = TestRequest.make(.GET, "/ping", host: host, presentedNames: names)
        let verdict = stage.evaluate(&request)
        return (verdict, request)
    }

    func expectMisdirected(host: String, names: [String], reported: String,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (verdict, request) = try evaluate(host: host, names: names)
        try expectProblem(verdict.answer, status: 421, code: .misdirectedRequest, connection: .keepOpen,
                          detail: "this connection's certificate does not cover \(reported); open a new connection for that host",
                          sourceLocation: sourceLocation)
        expectUnrouted(request, sourceLocation: sourceLocation)
    }

    @Test func aCoveredHostGoesOn() throws {
        let stage = try StageFixture.stage(MisdirectedRequestStage.self, config: Self.config)
        #expect(stage.name == "misdirected")
        for host in ["api.example.test", "API.Example.Test"] {
            let (verdict, request) = try evaluate(host: host, names: ["api.example.test", "other.example.test"])
            #expect(verdict.isNext, "\(host)")
            expectUnrouted(request)
        }
    }

    @Test func aHostTheCertificateDoesNotCoverIs421() throws {
        try expectMisdirected(host: "admin.example.test", names: ["api.example.test"], reported: "admin.example.test")
        try expectMisdirected(host: "other.test", names: [], reported: "other.test")
    }

    @Test func aWildcardCoversExactlyOneLabel() throws {
        let (verdict, _) = try evaluate(host: "tenant1.example.test", names: ["*.example.test"])
        #expect(verdict.isNext)
        try expectMisdirected(host: "a.b.example.test", names: ["*.example.test"], reported: "a.b.example.test")
        try expectMisdirected(host: "example.test", names: ["*.example.test"], reported: "example.test")
    }

    @Test func thePortAndATrailingDotAreStripped() throws {
        for host in ["api.example.test:8443", "api.example.test.", "api.example.test.:8443"] {
            let (verdict, _) = try evaluate(host: host, names: ["api.example.test"])
            #expect(verdict.isNext, "\(host)")
        }
        // The problem names the host without its port or dot.
        try expectMisdirected(host: "admin.example.test.:8443", names: ["api.example.test"], reported: "admin.example.test")
        #expect(MisdirectedRequestStage.hostname(of: "[::1]:8443") == "::1")
        #expect(MisdirectedRequestStage.hostname(of: "api.example.test") == "api.example.test")
    }

    @Test func anIPLiteralHostMatchesAnIPName() throws {
        let (verdict, _) = try evaluate(host: "[::1]:8443", names: ["::1", "127.0.0.1"])
        #expect(verdict.isNext)
        let (ipv4, _) = try evaluate(host: "127.0.0.1:8443", names: ["::1", "127.0.0.1"])
        #expect(ipv4.isNext)
        try expectMisdirected(host: "127.0.0.2:8443", names: ["::1", "127.0.0.1"], reported: "127.0.0.2")
    }

    @Test func plainHTTPIsNeverChecked() throws {
        let (verdict, request) = try evaluate(host: "anything.test", names: nil)
        #expect(verdict.isNext)
        expectUnrouted(request)
    }

    @Test func withoutAHostThereIsNothingToCompare() throws {
        let (verdict, _) = try evaluate(host: nil, names: ["api.example.test"])
        #expect(verdict.isNext)
    }
}
