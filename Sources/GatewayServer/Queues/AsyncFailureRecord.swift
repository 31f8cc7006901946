import GatewayCore

/// What an asynchronous invocation that failed for good leaves on its `onFailure` queue: Lambda's destination
/// record, so a consumer written for Lambda's on-failure destinations reads it unchanged.
enum AsyncFailureRecord {
    static func encode(message: QueuedMessage, function: String, condition: String, error: FunctionError,
                       at now: EpochNanoseconds) -> [UInt8] {
        var out: [UInt8] = Array(#"{"version":"1.0","timestamp":""#.utf8)
        RFC3339.append(epochMilliseconds: now / 1_000_000, to: &out)
        out.append(contentsOf: #"","requestContext":{"requestId":"#.utf8)
        JSONEscaping.appendQuoted(message.id, to: &out)
        out.append(contentsOf: #","functionArn":"#.utf8)
        JSONEscaping.appendQuoted("arn:aws:lambda:\(SQSEvent.region):\(SQSEvent.accountID):function:\(function):$LATEST", to: &out)
        out.append(contentsOf: #","condition":"#.utf8)
        JSONEscaping.appendQuoted(condition, to: &out)
        out.append(contentsOf: #","approximateInvokeCount":\#(message.receiveCount)},"requestPayload":"#.utf8)
        // The stored event is the JSON the gateway built for the function: embedded as it is.
        out.append(contentsOf: message.body)
        out.append(contentsOf: #","responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},"#.utf8)
        out.append(contentsOf: #""responsePayload":{"errorType":"#.utf8)
        JSONEscaping.appendQuoted(error.type, to: &out)
        out.append(contentsOf: #","errorMessage":"#.utf8)
        JSONEscaping.appendQuoted(error.message, to: &out)
        out.append(contentsOf: "}}".utf8)
        return out
    }
}
