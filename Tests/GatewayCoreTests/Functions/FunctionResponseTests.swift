import GatewayCore
import Testing

/// Results mapped as API Gateway does (`function-protocols.md` B.4), including the shapes Powertools produced.
@Suite struct FunctionResponseTests {
    func map(_ json: String, _ format: PayloadFormat) -> Result<FunctionResponse, FunctionResponse.Malformed> {
        FunctionResponse.map(Array(json.utf8), format: format)
    }

    func response(_ json: String, _ format: PayloadFormat) throws -> FunctionResponse {
        try map(json, format).get()
    }

    @Test func powertoolsHTTPResolverResponse() throws {
        let r = try response(#"{"statusCode": 201, "body": "{\"created\":{\"sku\":7}}", "isBase64Encoded": false, "headers": {"X-Extra": "1, 2", "Content-Type": "application/json"}, "cookies": []}"#, .v2)
        #expect(r.status == 201 && r.body == Array(#"{"created":{"sku":7}}"#.utf8))
        #expect(r.headers.map { "\($0.name): \($0.value)" } == ["X-Extra: 1, 2", "Content-Type: application/json"])
    }

    @Test func powertoolsRESTResolverResponse() throws {
        let r = try response(#"{"statusCode": 201, "body": "{}", "isBase64Encoded": false, "multiValueHeaders": {"X-Extra": ["1", "2"], "Content-Type": ["application/json"]}}"#, .v1)
        #expect(r.headers.map { "\($0.name): \($0.value)" } == ["X-Extra: 1", "X-Extra: 2", "Content-Type: application/json"])
    }

    @Test func version1MergesHeadersAndMultiValueHeadersOnce() throws {
        let r = try response(#"{"statusCode": 200, "headers": {"A": "1", "Content-Type": "text/plain"}, "multiValueHeaders": {"A": ["1", "2"], "Set-Cookie": ["x=1", "y=2"]}, "body": "ok"}"#, .v1)
        #expect(r.headers.map { "\($0.name): \($0.value)" } == ["A: 1", "Content-Type: text/plain", "A: 2", "Set-Cookie: x=1", "Set-Cookie: y=2"])
    }

    @Test func version2CookiesBecomeSetCookieFields() throws {
        let r = try response(#"{"statusCode": 200, "cookies": ["sid=1; Path=/; HttpOnly", "b=2"], "body": ""}"#, .v2)
        #expect(r.headers.map { "\($0.name): \($0.value)" } == ["content-type: application/json",
                                                               "set-cookie: sid=1; Path=/; HttpOnly", "set-cookie: b=2"])
    }

    @Test func version2InfersA200JSONBodyFromOtherResults() throws {
        let object = try response(#"{"message":"hi","n":1}"#, .v2)
        #expect(object.status == 200 && object.body == Array(#"{"message":"hi","n":1}"#.utf8))
        #expect(object.headers.map(\.value) == ["application/json"])
        #expect(try response(#""Hello""#, .v2).body == Array("Hello".utf8))
        #expect(try response("[1,2]", .v2).body == Array("[1,2]".utf8))
        #expect(try response("42", .v2).status == 200)
    }

    @Test func base64BodiesAreDecoded() throws {
        let r = try response(#"{"statusCode": 200, "body": "AAEC/w==", "isBase64Encoded": true, "headers": {"content-type": "application/octet-stream"}}"#, .v2)
        #expect(r.body == [0, 1, 2, 255])
    }

    @Test(arguments: [
        ("not json", PayloadFormat.v2), ("[1]", .v1), (#""text""#, .v1), (#"{"body": "no status"}"#, .v1),
        (#"{"statusCode": "200"}"#, .v2), (#"{"statusCode": 99}"#, .v1), (#"{"statusCode": 200.5}"#, .v1),
        (#"{"statusCode": 200, "cookies": []}"#, .v1), (#"{"statusCode": 200, "body": 5}"#, .v2),
        (#"{"statusCode": 200, "headers": {"a": {}}}"#, .v2), (#"{"statusCode": 200, "headers": {"a b": "1"}}"#, .v2),
        (#"{"statusCode": 200, "headers": {"x": "a\r\nInjected: 1"}}"#, .v2),
        (#"{"statusCode": 200, "body": "***", "isBase64Encoded": true}"#, .v2),
        (#"{"statusCode": 200, "isBase64Encoded": "yes"}"#, .v2),
        (#"{"statusCode": 200, "multiValueHeaders": {"a": "1"}}"#, .v1),
    ])
    func malformedResultsAreRefused(_ json: String, _ format: PayloadFormat) {
        guard case .failure = map(json, format) else {
            Issue.record("accepted \(json)")
            return
        }
    }

    @Test func functionErrorsAreReadFromTheRuntimesErrorObject() {
        let error = FunctionError.parse(Array(#"{"errorMessage": "boom", "errorType": "ValueError", "requestId": "1", "stackTrace": []}"#.utf8))
        #expect(error == FunctionError(type: "ValueError", message: "boom"))
        #expect(FunctionError.parse(Array("Task timed out".utf8)).message == "Task timed out")
        #expect(FunctionError.parse([], typeHeader: "Runtime.ExitError").type == "Runtime.ExitError")
    }
}
