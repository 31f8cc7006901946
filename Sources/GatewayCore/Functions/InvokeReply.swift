import JSONSchema

/// What a Lambda Invoke API reply means (`function-protocols.md` A.2–A.6, E.3), whichever server sent it: AWS
/// (function errors flagged by `X-Amz-Function-Error`), the runtime interface emulator (errors and timeouts only in
/// the body) or `sam local start-lambda`.
public enum InvokeReply: Sendable, Equatable {
    /// The function's result, as it returned it.
    case result([UInt8])
    /// The function raised, crashed or could not start.
    case functionError(FunctionError)
    /// The function ran past its timeout (an RIE reply).
    case timedOut
    /// Lambda throttled the invocation (429); `retryAfter` is its `Retry-After`, if any.
    case throttled(retryAfter: String?)
    /// Lambda refused or failed the call itself (a non-2xx that is not a throttle): the type from
    /// `x-amzn-ErrorType` or the body.
    case serviceError(FunctionError)

    /// `header` looks a response header up by lower-case name.
    public static func classify(status: Int, header: (String) -> String?, body: [UInt8]) -> InvokeReply {
        guard (200..<300).contains(status) else {
            let object = (try? JSONInstance.parse(body))?.objectValue
            var type = header("x-amzn-errortype") ?? object?["Type"]?.stringValue ?? "ServiceException"
            if let colon = type.firstIndex(of: ":") { type = String(type[..<colon]) }
            let message = object?["message"]?.stringValue ?? object?["Message"]?.stringValue
                ?? String(decoding: body.prefix(256), as: UTF8.self)
            if status == 429 { return .throttled(retryAfter: header("retry-after")) }
            return .serviceError(FunctionError(type: "\(status) \(type)", message: message))
        }
        if let flag = header("x-amz-function-error"), !flag.isEmpty {
            return .functionError(FunctionError.parse(body))
        }
        // The RIE drops headers: a timeout is a text body, an error is an error-shaped object.
        if let contentType = header("content-type"), contentType.lowercased().hasPrefix("text/plain"),
           String(decoding: body.prefix(64), as: UTF8.self).hasPrefix("Task timed out after") {
            return .timedOut
        }
        if isErrorShaped(body) { return .functionError(FunctionError.parse(body)) }
        return .result(body)
    }

    /// An object with string `errorMessage` and `errorType` and nothing but the runtime's error fields (SAM's rule,
    /// widened to the `requestId` the Python runtime adds): a result that happens to have other keys is a result.
    static func isErrorShaped(_ body: [UInt8]) -> Bool {
        guard body.first == UInt8(ascii: "{"), let object = (try? JSONInstance.parse(body))?.objectValue,
              object["errorMessage"]?.stringValue != nil, object["errorType"]?.stringValue != nil else { return false }
        let allowed: Set<String> = ["errorMessage", "errorType", "stackTrace", "cause", "requestId"]
        return object.keys.allSatisfy(allowed.contains)
    }
}
