import GatewayCore
import GatewayIntegrations
import NIOCore

/// The rest of a cache fill whose client left: the upstream response is read to its end and stored, so the
/// requests waiting for it are served from the cache instead of each going upstream. Bounded by what was left of
/// the route's timeout and by `maxEntrySize`; whatever ends it releases the waiters.
final class DetachedCacheFill: UpstreamResponseSink {
    private let fill: CacheFill
    /// The copy begun for the departed client, or nil while the response head has not arrived.
    private var capture: CacheCapture?
    /// Whether the body bytes still carry chunk framing (the connection was started for an HTTP/1.1 client).
    private let framed: Bool
    private let clock: any GatewayClock
    private var connection: UpstreamConnection?
    private var deadline: Scheduled<Void>?

    init(fill: CacheFill, capture: CacheCapture?, framed: Bool, clock: any GatewayClock) {
        self.fill = fill
        self.capture = capture
        self.framed = framed
        self.clock = clock
    }

    /// Takes over `connection`'s response; gives up (closing the connection) once `timeout` has passed.
    func start(on connection: UpstreamConnection, timeout: TimeAmount) {
        self.connection = connection
        deadline = connection.channel.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in giveUp() }
        connection.redirect(to: self)
    }

    func upstreamResponseHead(_ head: UpstreamResponseHead) {
        guard capture == nil, let connection else { return }
        capture = CacheCapture.start(fill, head: head, framed: framed, allocator: connection.channel.allocator).capture
        // Not cacheable: nobody wants the rest.
        if capture == nil { giveUp() }
    }

    func upstreamResponseBody(_ body: ByteBuffer) {
        guard let capture else { return }
        capture.append(body)
        if capture.abandoned { giveUp() }
    }

    func upstreamResponseEnd() {
        guard connection != nil else { return }
        _ = capture?.finish(now: clock.now())
        finish()
    }

    func upstreamFailed(_ error: UpstreamError) { finish() }

    func upstreamReadComplete() {}

    func upstreamWritabilityChanged(isWritable: Bool) {}

    private func giveUp() {
        guard let connection else { return }
        connection.abandon()
        finish()
    }

    private func finish() {
        deadline?.cancel()
        deadline = nil
        connection = nil
        capture = nil
        fill.finish()
    }
}
