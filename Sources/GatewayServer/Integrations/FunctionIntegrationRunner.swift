import GatewayCore
import NIOCore

/// The `function` integration: the request becomes an API Gateway event for a hosted function, and the function's
/// result becomes the response (`function-protocols.md` B).
final class FunctionIntegrationRunner: EdgeIntegration {
    let integration: FunctionIntegration
    let apiName: String
    /// nil when the function is not running (it could not be started).
    let hosted: HostedFunction?
    /// The loop outlives every snapshot it builds integrations for (and holds them): unowned breaks that cycle.
    unowned let loop: LoopState

    init(_ integration: FunctionIntegration, apiName: String, hosted: HostedFunction?, loop: LoopState) {
        self.integration = integration
        self.apiName = apiName
        self.hosted = hosted
        self.loop = loop
    }

    func start(_ request: borrowing RequestContext, body: ByteBuffer?, requestEnded: Bool, host: any IntegrationHost,
               reusing spare: (any IntegrationSession)?) -> IntegrationStart {
        if let length = body?.readableBytes, length > FunctionSession.maxEventBodyBytes {
            return .answer(FunctionSession.tooLarge(request.requestId))
        }
        return .session(FunctionSession(runner: self, request: copy request, body: body, requestEnded: requestEnded,
                                        host: host))
    }
}

/// One invocation: the body is gathered (bounded like Lambda's 6 MB payload), the event built and sent, and the
/// outcome answered on the exchange's own loop, unless the exchange ended meanwhile.
final class FunctionSession: IntegrationSession {
    /// Lambda's synchronous payload limit applies to the whole event; the body gets most of it.
    static let maxEventBodyBytes = 6 * 1024 * 1024 - 64 * 1024

    private let runner: FunctionIntegrationRunner
    private let host: any IntegrationHost
    private let requestId: String
    private var request: RequestContext?
    private var body: ByteBuffer?
    private var requestEnded: Bool
    private var proceeding = false
    private var invoked = false
    private var active = true

    init(runner: FunctionIntegrationRunner, request: RequestContext, body: ByteBuffer?, requestEnded: Bool,
         host: any IntegrationHost) {
        self.runner = runner
        self.requestId = request.requestId
        self.request = request
        self.body = body
        self.requestEnded = requestEnded
        self.host = host
    }

    static func tooLarge(_ requestId: String) -> GatewayAnswer {
        .problem(.requestTooLarge, "a function's request body is limited to \(maxEventBodyBytes) bytes",
                 requestId: requestId, connection: .closeIfBodyUnread)
    }

    func proceed() {
        proceeding = true
        host.integrationStarted()
        if requestEnded { invoke() }
    }

    func requestBody(_ buffer: ByteBuffer) {
        guard active, !invoked else { return }
        if body == nil {
            body = buffer
        } else {
            body!.writeImmutableBuffer(buffer)
        }
        if body!.readableBytes > Self.maxEventBodyBytes {
            active = false
            host.answer(Self.tooLarge(requestId))
        }
    }

    func requestEnd() {
        requestEnded = true
        if proceeding { invoke() }
    }

    func flushRequest() {}

    func clientWritabilityChanged(isWritable: Bool) {}

    /// The exchange ended (client gone, route timeout): a queued invocation still runs (as Lambda's would), its
    /// outcome is dropped.
    func cancel() {
        active = false
        request = nil
        body = nil
    }

    private func invoke() {
        guard active, !invoked, let request else { return }
        invoked = true
        guard let function = runner.hosted else {
            return finish(.unavailable("function \(runner.integration.functionName) is not running"))
        }
        let context = FunctionEventContext(apiName: runner.apiName, scheme: host.client.forwardedProto,
                                           port: host.localPort, httpProtocol: host.httpProtocol,
                                           receivedAtMilliseconds: FunctionWorker.epochMilliseconds())
        let event = APIGatewayEvent.encode(runner.integration.payloadFormat, request: request, body: body,
                                           context: context)
        self.request = nil
        self.body = nil
        let eventLoop = runner.loop.eventLoop
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        function.invoke(requestId: request.requestId, event: event) { outcome in
            eventLoop.execute { bound.value.finish(outcome) }
        }
    }

    private func finish(_ outcome: InvocationOutcome) {
        guard active, host.awaitsIntegration else { return }
        active = false
        let name = runner.integration.functionName
        switch outcome {
        case .result(let bytes):
            switch FunctionResponse.map(bytes, format: runner.integration.payloadFormat) {
            case .success(let response):
                host.answer(GatewayAnswer(status: response.status, headers: Self.sendable(response.headers),
                                          body: response.body))
            case .failure(let malformed):
                host.recordFunctionError("Function.MalformedResponse")
                runner.loop.functionHosts.logger.warning("function returned an invalid response",
                                              metadata: ["function": "\(name)", "requestId": "\(requestId)",
                                                         "reason": "\(malformed)"])
                host.integrationFailed("the function returned an invalid response")
            }
        case .functionError(let error):
            host.recordFunctionError(error.type)
            runner.loop.functionHosts.logger.warning("function failed", metadata: ["function": "\(name)", "requestId": "\(requestId)",
                                                                        "errorType": "\(error.type)",
                                                                        "errorMessage": "\(error.message)"])
            host.integrationFailed("the function failed")
        case .timedOut:
            host.recordFunctionError("Sandbox.Timedout")
            host.answer(.problem(.integrationTimeout, "the function did not respond within its timeout",
                                 requestId: requestId, connection: .closeIfBodyUnread))
        case .throttled:
            host.answer(.problem(.throttled, "function \(name) is at its maxConcurrency", requestId: requestId,
                                 connection: .closeIfBodyUnread, headers: [("retry-after", "1")]))
        case .unavailable(let reason):
            host.recordFunctionError("Function.Unavailable")
            runner.loop.functionHosts.logger.warning("function unavailable", metadata: ["function": "\(name)", "reason": "\(reason)"])
            host.integrationFailed("the function is not available")
        }
    }

    /// A function's own fields, minus what the gateway frames itself (length, connection handling).
    static func sendable(_ headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
        headers.filter { field in
            !ForwardingHeaders.hopByHop.contains { field.name.equalsASCIICaseInsensitive($0) }
                && !field.name.equalsASCIICaseInsensitive("content-length")
                && !field.name.equalsASCIICaseInsensitive("x-request-id")
        }
    }
}
