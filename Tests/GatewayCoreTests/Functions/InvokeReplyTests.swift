import GatewayCore
import Testing

/// Replies of AWS, the runtime interface emulator and `sam local` (`function-protocols.md` A.2–A.6).
@Suite struct InvokeReplyTests {
    func classify(_ status: Int, _ headers: [String: String] = [:], _ body: String) -> InvokeReply {
        InvokeReply.classify(status: status, header: { headers[$0] }, body: Array(body.utf8))
    }

    @Test func aResultIsPassedOn() {
        #expect(classify(200, ["content-type": "application/json"], #"{"statusCode": 200}"#) == .result(Array(#"{"statusCode": 200}"#.utf8)))
        // Other keys beside errorMessage/errorType: a result, not an error.
        let body = #"{"errorMessage": "x", "errorType": "y", "statusCode": 200}"#
        #expect(classify(200, [:], body) == .result(Array(body.utf8)))
    }

    @Test func awsFlagsFunctionErrorsByHeader() {
        let body = #"{"errorMessage": "boom from handler", "errorType": "ValueError", "requestId": "1", "stackTrace": []}"#
        #expect(classify(200, ["x-amz-function-error": "Unhandled"], body)
            == .functionError(FunctionError(type: "ValueError", message: "boom from handler")))
    }

    @Test func theEmulatorsErrorsAndTimeoutsAreReadFromTheBody() {
        #expect(classify(200, [:], #"{"errorMessage": "boom", "errorType": "ValueError", "requestId": "", "stackTrace": []}"#)
            == .functionError(FunctionError(type: "ValueError", message: "boom")))
        #expect(classify(200, ["content-type": "text/plain; charset=utf-8"], "Task timed out after 3.00 seconds") == .timedOut)
    }

    @Test func serviceErrorsAndThrottles() {
        #expect(classify(429, ["x-amzn-errortype": "TooManyRequestsException", "retry-after": "2"],
                         #"{"Type": "User", "message": "Rate exceeded", "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}"#)
            == .throttled(retryAfter: "2"))
        #expect(classify(404, ["x-amzn-errortype": "ResourceNotFoundException:http://internal.amazon.com/"],
                         #"{"Type": "User", "Message": "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"}"#)
            == .serviceError(FunctionError(type: "404 ResourceNotFoundException",
                                           message: "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope")))
        #expect(classify(502, [:], "bad gateway") == .serviceError(FunctionError(type: "502 ServiceException", message: "bad gateway")))
    }
}
