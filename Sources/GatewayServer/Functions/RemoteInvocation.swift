import GatewayCore
import GatewayIntegrations
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// One call of a remote function over the Lambda Invoke API (`function-protocols.md` A): the event is POSTed on a
/// pooled keep-alive connection of the exchange's loop (TLS for `https://`, SigV4-signed with `aws`), the reply read
/// whole (at most 6 MB) and classified. Confined to that loop; `completion` runs there, exactly once.
final class RemoteInvocation: UpstreamResponseSink {
    /// Lambda's synchronous response limit; a longer reply fails the invocation.
    static let maxReplyBytes = 6 * 1024 * 1024 + 100

    private let settings: RemoteFunctionSettings
    private let event: [UInt8]
    private let pool: UpstreamPool
    private var completion: ((InvocationOutcome) -> Void)?
    private var connection: UpstreamConnection?
    private var waiting: UInt64?
    private var timer: Scheduled<Void>?
    private var head: UpstreamResponseHead?
    private var body: [UInt8] = []
    private var retriedStale = false

    private init(settings: RemoteFunctionSettings, event: [UInt8], pool: UpstreamPool,
                 completion: @escaping (InvocationOutcome) -> Void) {
        self.settings = settings
        self.event = event
        self.pool = pool
        self.completion = completion
    }

    /// Starts the call; `timeout` is the function's.
    @discardableResult
    static func start(_ settings: RemoteFunctionSettings, event: [UInt8], loop: LoopState, timeout: Duration,
                      completion: @escaping (InvocationOutcome) -> Void) -> RemoteInvocation {
        let invocation = RemoteInvocation(settings: settings, event: event, pool: loop.pool(for: settings.target),
                                          completion: completion)
        let bound = NIOLoopBound(invocation, eventLoop: loop.eventLoop)
        invocation.timer = loop.eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) {
            bound.value.finish(.timedOut)
        }
        invocation.acquire()
        return invocation
    }

    /// The exchange no longer wants the outcome (route timeout, client gone): the call is abandoned.
    func cancel() {
        completion = nil
        finish(.unavailable("cancelled"))
    }

    private func acquire() {
        waiting = pool.acquire { [self] result in
            waiting = nil
            guard completion != nil else {
                if case .success(let connection) = result { connection.recycle() }
                return
            }
            switch result {
            case .success(let connection): send(on: connection)
            case .failure(let error): finish(.unavailable("cannot reach the function's Invoke API: \(error)"))
            }
        }
    }

    private func send(on connection: UpstreamConnection) {
        self.connection = connection
        head = nil
        body.removeAll(keepingCapacity: true)
        var request = connection.channel.allocator.buffer(capacity: 512 + event.count)
        request.writeString("POST \(settings.requestTarget) HTTP/1.1\r\n")
        var headers: [(name: String, value: String)] = [
            ("host", settings.target.authority), ("content-type", "application/json"),
            ("x-amz-invocation-type", "RequestResponse"),
        ]
        if let credentials = settings.credentials, let region = settings.region {
            headers += SigV4.sign(method: "POST", path: settings.target.basePath, query: settings.signingQuery,
                                  headers: headers, body: event, credentials: credentials, region: region,
                                  service: "lambda", epochSeconds: Int64(time(nil)))
        }
        headers.append(("content-length", String(event.count)))
        for (name, value) in headers { request.writeString("\(name): \(value)\r\n") }
        request.writeString("\r\n")
        connection.start(head: request, isHeadRequest: false, chunkedBody: false, sink: self, dechunk: true)
        var payload = connection.channel.allocator.buffer(capacity: event.count)
        payload.writeBytes(event)
        connection.writeBody(payload)
        connection.writeEnd(flush: true)
    }

    private func finish(_ outcome: InvocationOutcome) {
        timer?.cancel()
        timer = nil
        if let waiting {
            pool.cancel(waiter: waiting)
            self.waiting = nil
        }
        if let connection {
            // Still reading a reply nobody will use (timeout, too large, cancelled): it cannot be reused.
            self.connection = nil
            connection.abandon()
        }
        guard let completion else { return }
        self.completion = nil
        completion(outcome)
    }

    // MARK: UpstreamResponseSink

    func upstreamResponseHead(_ head: UpstreamResponseHead) {
        self.head = head
    }

    func upstreamResponseBody(_ buffer: ByteBuffer) {
        guard completion != nil else { return }
        if body.count + buffer.readableBytes > Self.maxReplyBytes {
            return finish(.functionError(FunctionError(type: "Function.ResponseSizeTooLarge",
                                                       message: "the function's reply exceeds 6 MB")))
        }
        body.append(contentsOf: buffer.readableBytesView)
    }

    func upstreamResponseEnd() {
        guard let head else { return }
        connection = nil  // back in its pool already
        let reply = InvokeReply.classify(status: head.status, header: { head.value(of: $0) }, body: body)
        switch reply {
        case .result(let bytes): finish(.result(bytes))
        case .functionError(let error), .serviceError(let error): finish(.functionError(error))
        case .timedOut: finish(.timedOut)
        case .throttled: finish(.throttled)
        }
    }

    func upstreamReadComplete() {}

    func upstreamWritabilityChanged(isWritable: Bool) {}

    func upstreamFailed(_ error: UpstreamError) {
        let reused = (connection?.requestsServed ?? 0) > 1
        connection = nil
        guard completion != nil else { return }
        if case .connectionLost(responseStarted: false) = error, reused, !retriedStale {
            // A keep-alive connection the server had already closed: once more on a fresh one, as for HTTP.
            retriedStale = true
            return acquire()
        }
        finish(.unavailable("the function's Invoke API failed: \(error)"))
    }
}
