import FleetState
import GatewayConfig
import GatewayCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// The admin API on its own listener: `/healthz`, `/metrics`, `POST /reload`. Rare requests, so it aggregates
/// bodies and may hop off the loop for a reload; none of this touches the data plane's path.
enum AdminListener {
    static func bind(runtime: GatewayRuntime, address: ListenAddress) async throws -> Channel {
        let bootstrap = ServerBootstrap(group: runtime.group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    // The edge's header and idle timers (limits.headerTimeout / idleTimeout), on raw bytes: a silent
                    // or slow admin client cannot hold a connection open.
                    let loop = runtime.loopState(for: channel.eventLoop)
                    let timeouts = ConnectionTimeoutHandler(limits: loop.snapshot.settings.limits, timers: loop.timers)
                    try sync.addHandler(timeouts)
                    try sync.configureHTTPServerPipeline(withErrorHandling: true)
                    try sync.addHandler(NIOHTTPServerRequestAggregator(maxContentLength: 64 * 1024))
                    try sync.addHandler(AdminHandler(runtime: runtime, timeouts: timeouts))
                }
            }
        return try await bootstrap.bind(host: address.host, port: address.port).get()
    }
}

final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = NIOHTTPServerRequestFull
    typealias OutboundOut = HTTPServerResponsePart

    private let runtime: GatewayRuntime
    private let timeouts: ConnectionTimeoutHandler
    private var requestIDs = RequestIDGenerator()

    init(runtime: GatewayRuntime, timeouts: ConnectionTimeoutHandler) {
        self.runtime = runtime
        self.timeouts = timeouts
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let request = unwrapInboundIn(data)
        // The whole request is here: stop the header timer until the response is written (a reload may take a while).
        timeouts.headReceived()
        let requestId = requestIDs.next()
        let keepAlive = request.head.isKeepAlive
        let path = request.head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"

        if let token = runtime.snapshot.settings.admin.token {
            guard AdminAuthorization.isAuthorized(header: request.head.headers.first(name: "authorization"), token: token) else {
                respondProblem(context, .unauthorized, "a valid bearer token is required", requestId, keepAlive,
                               extraHeaders: [("www-authenticate", "Bearer")])
                return
            }
        }

        switch (request.head.method, path) {
        case (.GET, "/healthz"), (.HEAD, "/healthz"):
            respond(context, status: .ok, contentType: "application/json", body: Array(#"{"status":"ok"}"#.utf8),
                    requestId: requestId, keepAlive: keepAlive)
        case (.GET, "/metrics"):
            let body = runtime.metrics.exposition() + WAFReport.prometheus(runtime.snapshot)
                + CacheReport.prometheus(runtime.snapshot)
            guard let queues = runtime.queues.service else {
                respond(context, status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: body,
                        requestId: requestId, keepAlive: keepAlive)
                return
            }
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            Task {
                // Queues in Redis may not answer: the other metrics are served without them.
                let summaries = (try? await queues.summaries()) ?? []
                eventLoop.execute {
                    let (handler, context) = loopBound.value
                    handler.respond(context, status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8",
                                    body: body + QueueReport.prometheus(summaries), requestId: requestId,
                                    keepAlive: keepAlive)
                }
            }
        case (.GET, "/waf"):
            let snapshot = runtime.snapshot
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            Task {
                let body = await WAFReport.json(snapshot)
                eventLoop.execute {
                    let (handler, context) = loopBound.value
                    handler.respond(context, status: .ok, contentType: "application/json", body: body,
                                    requestId: requestId, keepAlive: keepAlive)
                }
            }
        case (.POST, "/reload"):
            let runtime = self.runtime
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            Task {
                let result = runtime.reload()
                eventLoop.execute {
                    let (handler, context) = loopBound.value
                    handler.respondReload(context, result, requestId, keepAlive)
                }
            }
        case (.DELETE, "/cache"):
            let query = request.head.uri.split(separator: "?", maxSplits: 1).dropFirst().first
            guard let flushed = CacheReport.flush(runtime.snapshot, query: query) else {
                respondProblem(context, .badRequest, "use DELETE /cache, ?api=NAME or ?api=NAME&route=ROUTEKEY",
                               requestId, keepAlive)
                return
            }
            guard let fleet = runtime.fleet else {
                respond(context, status: .ok, contentType: "application/json", body: flushed.body, requestId: requestId,
                        keepAlive: keepAlive)
                return
            }
            // Fleet mode: answered once every instance has been told (the local count is this instance's).
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            Task {
                let reached = await fleet.cacheInvalidation.publish(.init(api: flushed.api, route: flushed.route))
                eventLoop.execute {
                    let (handler, context) = loopBound.value
                    if let reached {
                        handler.respond(context, status: .ok, contentType: "application/json",
                                        body: CacheReport.fleetBody(removed: flushed.removed, instancesReached: reached),
                                        requestId: requestId, keepAlive: keepAlive)
                    } else {
                        handler.respondProblem(context, .stateStoreUnavailable,
                                               "flushed here, but the other instances could not be told: Redis is unavailable",
                                               requestId, keepAlive)
                    }
                }
            }
        case (.GET, _) where path.hasPrefix(UsageReport.pathPrefix):
            let keyName = PercentDecoding.decode(Substring(path.dropFirst(UsageReport.pathPrefix.count))) ?? ""
            let snapshot = runtime.snapshot
            guard let key = snapshot.limits.keys.byName[keyName] else {
                respondProblem(context, .resourceNotFound, "no API key is named \"\(keyName)\"", requestId, keepAlive)
                return
            }
            switch UsageReport.lookup(key, in: snapshot) {
            case .ready(let usage):
                respond(context, status: .ok, contentType: "application/json", body: UsageReport.json(key, usage: usage),
                        requestId: requestId, keepAlive: keepAlive)
            case .later(let usage):
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                let eventLoop = context.eventLoop
                Task {
                    let body = UsageReport.json(key, usage: await usage())
                    eventLoop.execute {
                        let (handler, context) = loopBound.value
                        handler.respond(context, status: .ok, contentType: "application/json", body: body,
                                        requestId: requestId, keepAlive: keepAlive)
                    }
                }
            }
        case (_, _) where QueueReport.target(of: Substring(path)) != nil:
            let query = request.head.uri.split(separator: "?", maxSplits: 1).dropFirst().first
            respondQueues(context, request.head.method, QueueReport.target(of: Substring(path))!, query: query,
                          requestId, keepAlive)
        case (_, "/healthz"), (_, "/metrics"), (_, "/reload"), (_, "/waf"), (_, "/cache"):
            let allow = path == "/reload" ? "POST" : path == "/waf" ? "GET" : path == "/cache" ? "DELETE" : "GET, HEAD"
            respondProblem(context, .methodNotAllowed, "\(request.head.method.rawValue) is not allowed on \(path)",
                           requestId, keepAlive, extraHeaders: [("allow", allow)])
        default:
            respondProblem(context, .resourceNotFound, "no admin endpoint at \(path)", requestId, keepAlive)
        }
    }

    /// `GET /queues`, `GET|DELETE /queues/{name}/messages` (peek, purge), `POST /queues/{name}/redrive`.
    private func respondQueues(_ context: ChannelHandlerContext, _ method: HTTPMethod, _ target: QueueReport.Target,
                               query: Substring?, _ requestId: String, _ keepAlive: Bool) {
        let allow: String
        switch target {
        case .list: allow = "GET"
        case .messages: allow = "GET, DELETE"
        case .redrive: allow = "POST"
        }
        guard allow.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == method.rawValue }) else {
            respondProblem(context, .methodNotAllowed, "\(method.rawValue) is not allowed here", requestId, keepAlive,
                           extraHeaders: [("allow", allow)])
            return
        }
        guard let service = runtime.queues.service else {
            let reason = runtime.queues.failure.map { "queues are unavailable: \($0)" } ?? "no queues are configured"
            if case .list = target, runtime.queues.failure == nil {
                respond(context, status: .ok, contentType: "application/json", body: QueueReport.json([QueueSummary]()),
                        requestId: requestId, keepAlive: keepAlive)
            } else {
                respondProblem(context, runtime.queues.failure == nil ? .resourceNotFound : .integrationFailure, reason,
                               requestId, keepAlive)
            }
            return
        }
        func answer(_ work: @escaping @Sendable () async throws -> [UInt8]) {
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            Task {
                let result: Result<[UInt8], any Error>
                do { result = .success(try await work()) } catch { result = .failure(error) }
                eventLoop.execute {
                    let (handler, context) = loopBound.value
                    switch result {
                    case .success(let body):
                        handler.respond(context, status: .ok, contentType: "application/json", body: body,
                                        requestId: requestId, keepAlive: keepAlive)
                    case .failure(let error as QueueStoreError):
                        switch error {
                        case .unknownQueue:
                            handler.respondProblem(context, .resourceNotFound, "\(error)", requestId, keepAlive)
                        case .notADeadLetterQueue, .full:
                            handler.respondProblem(context, .badRequest, "\(error)", requestId, keepAlive)
                        }
                    case .failure(let error):
                        handler.respondProblem(context, .integrationFailure, "the queue store failed: \(error)",
                                               requestId, keepAlive)
                    }
                }
            }
        }
        switch (method, target) {
        case (_, .list):
            answer { QueueReport.json(try await service.summaries()) }
        case (.GET, .messages(let name)):
            guard let limit = QueueReport.peekLimit(query) else {
                respondProblem(context, .badRequest, "limit must be an integer from 1 to \(QueueReport.maxPeek)",
                               requestId, keepAlive)
                return
            }
            answer { QueueReport.json(try await service.peek(name, limit: limit)) }
        case (_, .messages(let name)):
            answer { Array(#"{"purged":\#(try await service.purge(name))}"#.utf8) }
        case (_, .redrive(let name)):
            answer { Array(#"{"redriven":\#(try await service.redrive(name))}"#.utf8) }
        }
    }

    private func respondReload(_ context: ChannelHandlerContext, _ result: GatewayRuntime.ReloadResult,
                               _ requestId: String, _ keepAlive: Bool) {
        switch result {
        case .reloaded(let summary, let warnings):
            var body: [UInt8] = Array(#"{"status":"reloaded","summary":"#.utf8)
            JSONEscaping.appendQuoted(summary, to: &body)
            body.append(contentsOf: #","warnings":"#.utf8)
            body.append(contentsOf: Self.diagnosticsJSON(warnings).utf8)
            body.append(UInt8(ascii: "}"))
            respond(context, status: .ok, contentType: "application/json", body: body, requestId: requestId,
                    keepAlive: keepAlive)
        case .rejected(let diagnostics):
            let document = ProblemDocument(code: .invalidConfig, detail: "the configuration has errors; the running configuration stays",
                                           requestId: requestId,
                                           extensions: [("diagnostics", Self.diagnosticsJSON(diagnostics))])
            respond(context, status: .badRequest, contentType: "application/problem+json", body: document.encoded(),
                    requestId: requestId, keepAlive: keepAlive)
        }
    }

    static func diagnosticsJSON(_ diagnostics: [ConfigDiagnostic]) -> String {
        "[" + diagnostics.map { d in
            #"{"pointer":"# + JSONEscaping.quoted(d.pointer) + #","message":"# + JSONEscaping.quoted(d.message)
                + #","severity":"# + (d.severity == .error ? #""error""# : #""warning""#) + "}"
        }.joined(separator: ",") + "]"
    }

    private func respondProblem(_ context: ChannelHandlerContext, _ code: GatewayErrorCode, _ detail: String,
                                _ requestId: String, _ keepAlive: Bool, extraHeaders: [(String, String)] = []) {
        let document = ProblemDocument(code: code, detail: detail, requestId: requestId)
        respond(context, status: HTTPResponseStatus(statusCode: code.status), contentType: "application/problem+json",
                body: document.encoded(), requestId: requestId, keepAlive: keepAlive, extraHeaders: extraHeaders)
    }

    private func respond(_ context: ChannelHandlerContext, status: HTTPResponseStatus, contentType: String,
                         body: [UInt8], requestId: String, keepAlive: Bool, extraHeaders: [(String, String)] = []) {
        var headers = HTTPHeaders([("content-type", contentType), ("content-length", String(body.count)),
                                   ("x-request-id", requestId)])
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                      promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: body.count)
        buffer.writeBytes(body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        // Before the end is written: NIO's pipeline handler may hand over a pipelined request as the response
        // ends, and that request's `headReceived` must come after this.
        if keepAlive { timeouts.exchangeFinished(nextRequestQueued: false) }
        let future = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            future.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
