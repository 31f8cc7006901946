import GatewayCore

/// What the routes that answer 202 share (a `queue` integration, a `function` with `"invocationType": "Event"`):
/// the request's idempotency key, and the answer once the send is durable or has failed.
enum AcceptedSend {
    /// A request the route refuses before anything is sent (its idempotency header twice).
    struct Refused: Error {
        let answer: GatewayAnswer
    }

    /// The key of a route with `idempotencyKey`; nil when the route has none or the request sends no such header.
    static func idempotencyKey(of request: borrowing RequestContext, api: String) -> Result<String?, Refused> {
        guard let header = request.route?.idempotencyHeader else { return .success(nil) }
        switch IdempotencyKey.of(request, header: header, api: api) {
        case .success(let key):
            return .success(key)
        case .failure(let refusal):
            return .failure(Refused(answer: .problem(.badRequest, refusal.description, requestId: request.requestId,
                                                     connection: .closeIfBodyUnread)))
        }
    }

    /// 202 `{"messageId"}`, or the contract's integration failure as 503: the queue is there but could not store
    /// the message right now.
    static func answer(_ result: Result<String, QueueRuntime.SendFailure>, requestId: String) -> GatewayAnswer {
        switch result {
        case .success(let messageId):
            GatewayAnswer(status: 202, contentType: "application/json",
                          body: Array(#"{"messageId":"\#(messageId)"}"#.utf8))
        case .failure(let failure):
            .problem(.integrationFailure, failure.description, requestId: requestId, status: 503,
                     headers: [("retry-after", "1")])
        }
    }
}
