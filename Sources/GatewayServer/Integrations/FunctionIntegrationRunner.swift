import GatewayCore
import NIOCore

/// The `function` integration: the request becomes an API Gateway event for a hosted or remote function, and the
/// function's result becomes the response (`function-protocols.md` B).
final class FunctionIntegrationRunner: EdgeIntegration {
    /// Where the function runs.
    enum Backend {
        /// Hosted by this gateway; nil when it is not running (it could not be started).
        case hosted(HostedFunction?)
        /// Over the Lambda Invoke API, from this loop's connection pools.
        case remote(RemoteFunctionSettings)
    }

    let integration: FunctionIntegration
    let apiName: String
    let backend: Backend
    /// The function's own timeout (a remote call is abandoned past it).
    let timeout: Duration
    /// The loop outlives every snapshot it builds integrations for (and holds them): unowned breaks that cycle.
    unowned let loop: LoopState

    init(_ integration: FunctionIntegration, apiName: String, definition: FunctionDefinition, loop: LoopState) {
        self.integration = integration
        self.apiName = apiName
        self.timeout = definition.timeout
        switch definition.backend {
        case .hosted: backend = .hosted(loop.functionHosts.hosted(definition.name))
        case .remote(let settings): backend = .remote(settings)
        }
        self.loop = loop
    }

    func start(_ request: borrowing RequestContext, body: ByteBuffer?, requestEnded: Bool, host: any IntegrationHost,
               reusing spare: (any IntegrationSession)?) -> IntegrationStart {
        if let length = body?.readableBytes, length > FunctionSession.maxEventBodyBytes {
            return .answer(FunctionSession.tooLarge(request.requestId))
        }
        switch AcceptedSend.idempotencyKey(of: request, api: apiName) {
        case .success(let idempotencyKey):
            return .session(FunctionSession(runner: self, request: copy request, idempotencyKey: idempotencyKey,
                                            body: body, requestEnded: requestEnded, host: host))
        case .failure(let refused):
            return .answer(refused.answer)
        }
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
    /// `Event` routes with an `idempotencyKey`: the request's key, when it sent one.
    private let idempotencyKey: String?
    private var request: RequestContext?
    private var body: ByteBuffer?
    private var requestEnded: Bool
    private var proceeding = false
    private var invoked = false
    private var active = true

    init(runner: FunctionIntegrationRunner, request: RequestContext, idempotencyKey: String?, body: ByteBuffer?,
         requestEnded: Bool, host: any IntegrationHost) {
        self.runner = runner
        self.requestId = request.requestId
        self.idempotencyKey = idempotencyKey
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

    /// The exchange ended (client gone, route timeout): a hosted invocation still runs (as Lambda's would) and its
    /// outcome is dropped; a remote call is abandoned.
    func cancel() {
        active = false
        request = nil
        body = nil
        if let remote {
            self.remote = nil
            remote.cancel()
        }
    }

    private func invoke() {
        guard active, !invoked, let request else { return }
        invoked = true
        let context = FunctionEventContext(apiName: runner.apiName, scheme: host.client.forwardedProto,
                                           port: host.localPort, httpProtocol: host.httpProtocol,
                                           receivedAtMilliseconds: WallClock.epochMilliseconds())
        let event = APIGatewayEvent.encode(runner.integration.payloadFormat, request: request, body: body,
                                           context: context)
        self.request = nil
        self.body = nil
        if runner.integration.invocationType == .event { return enqueue(event) }
        switch runner.backend {
        case .hosted(nil):
            finish(.unavailable("function \(runner.integration.functionName) is not running"))
        case .hosted(let function?):
            let eventLoop = runner.loop.eventLoop
            let bound = NIOLoopBound(self, eventLoop: eventLoop)
            function.invoke(requestId: request.requestId, event: event) { outcome in
                eventLoop.execute { bound.value.finish(outcome) }
            }
        case .remote(let settings):
            remote = RemoteInvocation.start(settings, event: event, loop: runner.loop, timeout: runner.timeout) {
                [self] outcome in
                remote = nil
                finish(outcome)
            }
        }
    }

    /// `"invocationType": "Event"`: the event is stored on the function's internal queue and answered 202 once
    /// durable; the consumer invokes the function with it later (`QueueConsumer`, `AsyncInvocation`).
    private func enqueue(_ event: [UInt8]) {
        guard event.count <= Self.maxAsyncEventBytes else {
            active = false
            return host.answer(.problem(.requestTooLarge,
                                        "an asynchronous invocation's event is limited to \(Self.maxAsyncEventBytes) bytes",
                                        requestId: requestId))
        }
        let eventLoop = runner.loop.eventLoop
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        runner.loop.queues.send(AsyncInvocation.queueName(runner.integration.functionName), body: event,
                                idempotencyKey: idempotencyKey) { result in
            eventLoop.execute { bound.value.accepted(result) }
        }
    }

    /// Lambda's limit on an asynchronous invocation's payload.
    static let maxAsyncEventBytes = 256 * 1024

    private func accepted(_ result: Result<String, QueueRuntime.SendFailure>) {
        guard active, host.awaitsIntegration else { return }
        active = false
        host.answer(AcceptedSend.answer(result, requestId: requestId))
    }

    /// A remote call in progress, abandoned if the exchange ends first.
    private var remote: RemoteInvocation?

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

    /// Fields the gateway writes itself (framing, connection handling, its request id).
    private static let unsent = ForwardingHeaders.hopByHop + ["content-length", "x-request-id"]

    /// A function's own fields, minus what the gateway frames itself (length, connection handling).
    static func sendable(_ headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
        headers.filter { !ForwardingHeaders.isListed($0.name, unsent) }
    }
}
