import Testing
@testable import GatewayConfig

@Suite struct ConfigDiagnosticTests {
    @Test func formatsLikePortcullisCheck() {
        let error = ConfigDiagnostic.error("/apis/0/routes/2/timeout", "must be between 0 and 15m (got 20m)")
        #expect(error.formatted(displayPath: "gateway.json") == "gateway.json: /apis/0/routes/2/timeout: must be between 0 and 15m (got 20m)")
        #expect(error.severity == .error && error.isError)
    }

    @Test func warningsArePrefixed() {
        let warning = ConfigDiagnostic.warning("/apis", "no APIs are configured; every request will get 404")
        #expect(warning.formatted(displayPath: "x.json") == "x.json: /apis: warning: no APIs are configured; every request will get 404")
        #expect(!warning.isError)
    }

    @Test func documentLevelErrorsHaveAnEmptyPointer() {
        let parse = ConfigDiagnostic(pointer: "", message: "invalid JSON at line 3, column 5: unexpected '\"', expected ',' or '}'")
        #expect(parse.formatted(displayPath: "gateway.json") == "gateway.json: : invalid JSON at line 3, column 5: unexpected '\"', expected ',' or '}'")
    }
}
