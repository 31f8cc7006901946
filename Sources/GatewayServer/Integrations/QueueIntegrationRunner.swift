import GatewayCore
import NIOCore

/// The `queue` integration: the request body becomes a message on a queue, answered 202 `{"messageId"}` only once
/// the message is durable (a failed commit is a 503 `INTEGRATION_FAILURE` and no message).
final class QueueIntegrationRunner: EdgeIntegration {
    let queue: String
    let apiName: String
    /// The loop outlives every snapshot it builds integrations for (and holds them): unowned breaks that cycle.
    unowned let loop: LoopState

    init(_ integration: QueueIntegration, apiName: String, loop: LoopState) {
        self.queue = integration.queue
        self.apiName = apiName
        self.loop = loop
    }

    func start(_ request: borrowing RequestContext, body: ByteBuffer?, requestEnded: Bool, host: any IntegrationHost,
               reusing spare: (any IntegrationSession)?) -> IntegrationStart {
        if let length = body?.readableBytes, length > MessageBody.maxBytes {
            return .answer(QueueSession.refusal(.tooLarge, request.requestId))
        }
        switch AcceptedSend.idempotencyKey(of: request, api: apiName) {
        case .success(let idempotencyKey):
            return .session(QueueSession(runner: self, requestId: request.requestId, idempotencyKey: idempotencyKey,
                                         body: body, requestEnded: requestEnded, host: host))
        case .failure(let refused):
            return .answer(refused.answer)
        }
    }
}

/// One message: the body is gathered (bounded like SQS's 256 KiB), checked, stored, and answered on the
/// exchange's own loop, unless the exchange ended meanwhile (the message then stays sent: it was accepted).
final class QueueSession: IntegrationSession {
    private let runner: QueueIntegrationRunner
    private let host: any IntegrationHost
    private let requestId: String
    private let idempotencyKey: String?
    private var body: ByteBuffer?
    private var requestEnded: Bool
    private var proceeding = false
    private var sent = false
    private var active = true

    init(runner: QueueIntegrationRunner, requestId: String, idempotencyKey: String?, body: ByteBuffer?,
         requestEnded: Bool, host: any IntegrationHost) {
        self.runner = runner
        self.requestId = requestId
        self.idempotencyKey = idempotencyKey
        self.body = body
        self.requestEnded = requestEnded
        self.host = host
    }

    static func refusal(_ refusal: MessageBody.Refusal, _ requestId: String) -> GatewayAnswer {
        switch refusal {
        case .tooLarge:
            .problem(.requestTooLarge, refusal.description, requestId: requestId, connection: .closeIfBodyUnread)
        case .empty, .notText:
            .problem(.badRequestBody, refusal.description, requestId: requestId)
        }
    }

    func proceed() {
        proceeding = true
        host.integrationStarted()
        if requestEnded { send() }
    }

    func requestBody(_ buffer: ByteBuffer) {
        guard active, !sent else { return }
        if body == nil {
            body = buffer
        } else {
            body!.writeImmutableBuffer(buffer)
        }
        if body!.readableBytes > MessageBody.maxBytes {
            active = false
            host.answer(Self.refusal(.tooLarge, requestId))
        }
    }

    func requestEnd() {
        requestEnded = true
        if proceeding { send() }
    }

    func flushRequest() {}

    func clientWritabilityChanged(isWritable: Bool) {}

    func cancel() {
        active = false
        body = nil
    }

    private func send() {
        guard active, !sent else { return }
        sent = true
        let bytes = body.map { Array($0.readableBytesView) } ?? []
        body = nil
        if let refusal = MessageBody.check(bytes) {
            active = false
            host.answer(Self.refusal(refusal, requestId))
            return
        }
        let eventLoop = runner.loop.eventLoop
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let queues = runner.loop.queues, queue = runner.queue
        queues.send(queue, body: bytes, idempotencyKey: idempotencyKey) { result in
            eventLoop.execute { bound.value.finish(result) }
        }
    }

    private func finish(_ result: Result<String, QueueRuntime.SendFailure>) {
        guard active, host.awaitsIntegration else { return }
        active = false
        host.answer(AcceptedSend.answer(result, requestId: requestId))
    }
}
