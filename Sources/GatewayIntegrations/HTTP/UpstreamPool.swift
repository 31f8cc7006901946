import GatewayCore
import NIOCore
import NIOPosix
import NIOSSL

/// Keep-alive connections to one upstream target, owned by and only touched on one event loop.
///
/// Loop-local means no locks and no future hops per request; an idle connection is handed out
/// synchronously (LIFO). The cap is on *total* connections, not idle ones: an idle cap below the
/// concurrency churns connections, which measured as the biggest loss at 200 clients.
public final class UpstreamPool {
    public typealias Callback = (Result<UpstreamConnection, UpstreamError>) -> Void

    public let eventLoop: EventLoop
    public let target: UpstreamTarget
    public let maxConnections: Int
    public let connectTimeout: TimeAmount
    private let gauges: UpstreamPoolGauges?
    private var idle: [UpstreamConnection] = []
    private var total = 0
    private var waiters = CircularBuffer<(id: UInt64, callback: Callback)>()
    private var nextWaiterID: UInt64 = 0
    /// For an https target: built on the first connect (loading the trust store is costly), then shared.
    private var tlsContext: NIOSSLContext?

    public init(eventLoop: EventLoop, target: UpstreamTarget, maxConnections: Int = 512,
                connectTimeout: TimeAmount = .seconds(5), gauges: UpstreamPoolGauges? = nil) {
        self.eventLoop = eventLoop
        self.target = target
        self.maxConnections = maxConnections
        self.connectTimeout = connectTimeout
        self.gauges = gauges
    }

    public var idleCount: Int { idle.count }
    public var totalCount: Int { total }

    /// Hands out a connection: synchronously when one is idle, after a connect otherwise, or queued at the cap.
    /// Returns a waiter id when queued, so a request that times out can `cancel` its place.
    @discardableResult
    public func acquire(_ callback: @escaping Callback) -> UInt64? {
        eventLoop.assertInEventLoop()
        if let connection = idle.popLast() {
            gauges?.idle.decrement()
            gauges?.active.increment()
            callback(.success(connection))
            return nil
        }
        if total < maxConnections {
            connect(callback)
            return nil
        }
        nextWaiterID &+= 1
        waiters.append((nextWaiterID, callback))
        return nextWaiterID
    }

    public func cancel(waiter id: UInt64) {
        if let index = waiters.firstIndex(where: { $0.id == id }) {
            waiters.remove(at: index)
        }
    }

    /// A response ended on a reusable connection: give it to a waiter or keep it idle.
    func release(_ connection: UpstreamConnection) {
        if let waiter = waiters.popFirst() {
            waiter.callback(.success(connection))
        } else {
            gauges?.active.decrement()
            gauges?.idle.increment()
            idle.append(connection)
        }
    }

    /// A connection closed (either side); frees its slot, possibly for a waiter.
    func connectionClosed(_ connection: UpstreamConnection) {
        total -= 1
        if let index = idle.firstIndex(where: { $0 === connection }) {
            idle.remove(at: index)
            gauges?.idle.decrement()
        } else {
            gauges?.active.decrement()
        }
        if let waiter = waiters.popFirst() {
            connect(waiter.callback)
        }
    }

    /// Closes idle connections (shutdown or reload dropped this target).
    public func closeIdle() {
        let connections = idle
        for connection in connections { connection.channel.close(promise: nil) }
    }

    private func connect(_ callback: @escaping Callback) {
        total += 1
        gauges?.active.increment()
        // The pool is confined to its loop, and so is every channel it opens: hand it over loop-bound.
        let pool = NIOLoopBound(self, eventLoop: eventLoop)
        var tls: NIOSSLContext?
        if let settings = target.tls {
            do {
                tls = try tlsContext ?? Self.makeTLSContext(settings)
                tlsContext = tls
            } catch {
                return connectFailed(callback, error)
            }
        }
        // An address is never sent as SNI (RFC 6066); NIOSSL then checks the certificate against the peer's address.
        let serverName: String? = IPAddress(target.host) == nil ? target.host : nil
        let bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // The certificate is verified for the target's host name or address.
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                    // No HTTP codec: the caller writes serialised request heads and `UpstreamConnection` frames
                    // bodies and responses from raw bytes.
                    try channel.pipeline.syncOperations.addHandler(UpstreamConnection(channel: channel, pool: pool.value))
                }
            }
        bootstrap.connect(host: target.host, port: target.port).assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(let channel):
                do {
                    let connection = try channel.pipeline.syncOperations.handler(type: UpstreamConnection.self)
                    callback(.success(connection))
                } catch {
                    channel.close(promise: nil)
                    self.connectFailed(callback, error)
                }
            case .failure(let error):
                self.connectFailed(callback, error)
            }
        }
    }

    /// Full verification against the system's trust store, or only the configured CA bundle.
    static func makeTLSContext(_ settings: UpstreamTLS) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        if let caFile = settings.caFile { configuration.trustRoots = .file(caFile) }
        return try NIOSSLContext(configuration: configuration)
    }

    private func connectFailed(_ callback: Callback, _ error: Error) {
        total -= 1
        gauges?.active.decrement()
        callback(.failure(.connectFailed(String(describing: error))))
    }
}

/// Gauge handles for one pool: connections in use and idle (aggregated across loops by the metrics backend).
/// A class: as an optional struct of two existentials, every `gauges?.idle` copied it through the runtime's
/// generic value witnesses (about 700 instructions per proxied request).
public final class UpstreamPoolGauges {
    public let active: GaugeCounter
    public let idle: GaugeCounter
    public init(active: GaugeCounter, idle: GaugeCounter) {
        self.active = active
        self.idle = idle
    }
}

/// An up/down counter; the server supplies one backed by its metrics system.
public protocol GaugeCounter: AnyObject {
    func increment()
    func decrement()
}
