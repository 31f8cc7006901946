import GatewayCore
import GatewayIntegrations
import NIOCore
import NIOHTTP1

/// The `http` integration: forwards the request to one of the route's targets over this loop's pool.
final class HTTPIntegrationRunner: EdgeIntegration {
    private let http: HTTPIntegration
    /// The snapshot's trusted proxies: whose `X-Forwarded-For` is extended rather than replaced.
    private let trustedProxies: CIDRSet
    /// The loop outlives every snapshot it builds integrations for (and holds them): unowned breaks that cycle.
    private unowned let loop: LoopState

    init(_ http: HTTPIntegration, trustedProxies: CIDRSet, loop: LoopState) {
        self.http = http
        self.trustedProxies = trustedProxies
        self.loop = loop
    }

    func start(_ request: borrowing RequestContext, body: ByteBuffer?, requestEnded: Bool, host: any IntegrationHost,
               reusing spare: (any IntegrationSession)?) -> IntegrationStart {
        let forwarder = Self.reusable(spare) ?? HTTPForwarder(loop: loop, host: host)
        forwarder.prepare(http, trustedProxies: trustedProxies, request: request, body: body, requestEnded: requestEnded)
        return .session(forwarder)
    }

    /// `spare` when it is a forwarder: compared by type rather than with `as?`, whose runtime cast showed up in
    /// every request's profile.
    private static func reusable(_ spare: (any IntegrationSession)?) -> HTTPForwarder? {
        guard let spare, ObjectIdentifier(type(of: spare)) == ObjectIdentifier(HTTPForwarder.self) else { return nil }
        return unsafeDowncast(spare, to: HTTPForwarder.self)
    }
}

/// One client connection's forwarding: pool acquisition, retries on another target, and the response spliced
/// back byte for byte. Reused by the connection's exchanges one after the other, so keep-alive forwarding
/// allocates no session per request.
final class HTTPForwarder: IntegrationSession, UpstreamResponseSink {
    private let loop: LoopState
    private let host: any IntegrationHost
    /// Answering an exchange; false once the response ended, failed or was cancelled.
    private var active = false
    /// Tells a pool callback for an earlier exchange from one for the current exchange.
    private var serial: UInt64 = 0
    private var integration: HTTPIntegration?
    private var upstream: UpstreamConnection?
    private var waiting: (pool: UpstreamPool, id: UInt64)?
    /// Serialised per connection attempt, so a retry to another target re-serialises.
    private var upstreamHead: UpstreamRequestHead?
    /// Request body read before an upstream connection was ready.
    private var pendingBodies: [ByteBuffer] = []
    private var pendingBytes = 0
    private static let maxPendingBytes = 256 * 1024
    private var requestEnded = false
    private var requestHasBody = false
    private var targetIndex = 0
    private var targetAttempts = 0
    private var staleRetryUsed = false

    init(loop: LoopState, host: any IntegrationHost) {
        self.loop = loop
        self.host = host
    }

    /// Takes what the upstream request needs from `request` (lent for this call); `proceed` sends it.
    func prepare(_ http: HTTPIntegration, trustedProxies trusted: CIDRSet, request: borrowing RequestContext,
                 body: ByteBuffer?, requestEnded: Bool) {
        serial &+= 1
        active = true
        integration = http
        upstream = nil
        waiting = nil
        // Bodies belong to one exchange: a previous one's leftovers must never reach this one's upstream.
        pendingBodies.removeAll(keepingCapacity: true)
        pendingBytes = 0
        if let body {
            // Queued before the connection is acquired, so a pooled connection takes head and body in one write
            // (one syscall, one upstream wake-up) rather than the head first and the body after.
            pendingBodies.append(body)
            pendingBytes = body.readableBytes
        }
        self.requestEnded = requestEnded
        requestHasBody = request.hasBody
        staleRetryUsed = false
        targetIndex = loop.roundRobin % http.targets.count
        loop.roundRobin &+= 1
        targetAttempts = 0

        let upstreamPath: Substring
        if let template = http.pathTemplate {
            upstreamPath = Substring(template.render(request.pathParameters))
        } else {
            upstreamPath = request.routePath == "/" ? "" : request.routePath
        }
        let client = host.client
        let forwardedFor = trusted.isEmpty ? client.peerText : ClientIPResolver.upstreamForwardedFor(
            peer: client.peer, incoming: request.head.headers["x-forwarded-for"].map { Substring($0) }, trusted: trusted)
        upstreamHead = UpstreamRequestHead(
            method: request.method, path: upstreamPath, query: request.query, clientHeaders: request.head.headers,
            forwarding: .init(forwardedFor: forwardedFor, forwardedProto: client.forwardedProto,
                              forwardedHost: request.host, requestId: request.requestId,
                              chunkedBody: request.framing == .chunked))
    }

    func proceed() {
        guard active, let integration else { return }
        host.integrationStarted()
        acquire(integration.targets[targetIndex])
    }

    private func acquire(_ target: UpstreamTarget) {
        let pool = loop.pool(for: target)
        let serial = self.serial
        let id = pool.acquire { [self] result in
            guard self.active, self.serial == serial, self.upstream == nil, self.host.awaitsIntegration,
                  !self.host.responseStarted else {
                if case .success(let connection) = result { connection.recycle() }
                return
            }
            self.waiting = nil
            switch result {
            case .success(let connection):
                self.connected(connection, target: target)
            case .failure(let error):
                self.upstreamFailed(error)
            }
        }
        if let id { waiting = (pool, id) }
    }

    /// Writes the head for this connection's target, then whatever of the request arrived meanwhile.
    private func connected(_ connection: UpstreamConnection, target: UpstreamTarget) {
        upstream = connection
        if !host.clientIsWritable { connection.pauseReading() }
        let request = upstreamHead!
        let head = request.bytes(for: target, allocator: connection.channel.allocator)
        connection.start(head: head, isHeadRequest: request.method == .HEAD, chunkedBody: request.chunkedBody,
                         sink: self, dechunk: host.takesUnframedBody)
        let hadBodies = !pendingBodies.isEmpty
        if hadBodies {
            for body in pendingBodies { connection.writeBody(body) }
            pendingBodies.removeAll(keepingCapacity: true)
            pendingBytes = 0
        }
        // Also after a retry: the request's end may have been written to the connection that failed.
        if requestEnded {
            connection.writeEnd(flush: true)
        } else {
            // The head goes out now even when no body byte has arrived yet: the upstream may answer early.
            connection.flush()
        }
        if hadBodies { host.resumeRequestBody() }
    }

    // MARK: the request, as the client sends it

    func requestBody(_ buffer: ByteBuffer) {
        guard active else { return }
        if let upstream {
            upstream.writeBody(buffer)
        } else {
            pendingBodies.append(buffer)
            pendingBytes += buffer.readableBytes
            if pendingBytes > Self.maxPendingBytes { host.pauseRequestBody() }
        }
    }

    func requestEnd() {
        requestEnded = true
        guard active else { return }
        upstream?.writeEnd(flush: true)
    }

    func flushRequest() {
        upstream?.flush()
    }

    func clientWritabilityChanged(isWritable: Bool) {
        if isWritable { upstream?.resumeReading() } else { upstream?.pauseReading() }
    }

    func cancel() {
        active = false
        if let waiting {
            waiting.pool.cancel(waiter: waiting.id)
            self.waiting = nil
        }
        if let upstream {
            self.upstream = nil
            upstream.abandon()
        }
        pendingBodies.removeAll(keepingCapacity: true)
        pendingBytes = 0
    }

    func handOff(to fill: DetachedCacheFill, timeout: TimeAmount) -> Bool {
        guard active, requestEnded, let upstream else { return false }
        active = false
        self.upstream = nil
        fill.start(on: upstream, timeout: timeout)
        return true
    }

    // MARK: the response, as the upstream sends it

    func upstreamResponseHead(_ head: UpstreamResponseHead) {
        guard active else { return }
        host.responseHead(head)
    }

    func upstreamResponseBody(_ body: ByteBuffer) {
        guard active else { return }
        host.responseBody(body)
    }

    func upstreamReadComplete() {
        guard active else { return }
        host.responseReadComplete()
    }

    func upstreamResponseEnd() {
        guard active else { return }
        active = false
        upstream = nil
        host.responseEnd()
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        guard active else { return }
        if isWritable { host.resumeRequestBody() } else { host.pauseRequestBody() }
    }

    func upstreamFailed(_ error: UpstreamError) {
        guard active, host.awaitsIntegration else { return }
        let failed = upstream
        upstream = nil
        host.dropHeldResponseHead()
        if host.responseStarted {
            active = false
            host.integrationCut()
            return
        }
        if case .connectFailed = error, let integration, targetAttempts + 1 < integration.targets.count {
            targetAttempts += 1
            targetIndex = (targetIndex + 1) % integration.targets.count
            acquire(integration.targets[targetIndex])
            return
        }
        if case .connectionLost(responseStarted: false) = error, let failed, failed.requestsServed > 1,
           !requestHasBody, !staleRetryUsed, let integration {
            // A reused keep-alive connection the upstream had already closed: retry once, as nginx does.
            staleRetryUsed = true
            acquire(integration.targets[targetIndex])
            return
        }
        active = false
        pendingBodies.removeAll(keepingCapacity: true)
        pendingBytes = 0
        let detail: String
        switch error {
        case .connectFailed: detail = "could not connect to the upstream"
        case .connectionLost: detail = "the upstream closed the connection before responding"
        case .protocolError: detail = "the upstream sent an invalid HTTP response"
        }
        host.integrationFailed(detail)
    }
}
