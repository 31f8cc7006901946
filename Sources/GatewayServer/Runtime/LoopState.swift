import GatewayCore
import GatewayIntegrations
import NIOCore

/// Everything one event loop owns. Confined to that loop, so the request path takes no lock and
/// makes no cross-thread hop: a reload publishes a new snapshot here with `eventLoop.execute`.
final class LoopState {
    let eventLoop: EventLoop
    var snapshot: GatewaySnapshot
    /// The current snapshot with this loop's integrations for it, rebuilt on first use after a reload.
    var current: EdgeSnapshot {
        if let edge = currentEdge, edge.snapshot === snapshot { return edge }
        let edge = EdgeSnapshot(snapshot: snapshot, loop: self)
        currentEdge = edge
        return edge
    }
    private var currentEdge: EdgeSnapshot?
    var accessLog: AccessLogWriter?
    var draining = false
    var requestIDs = RequestIDGenerator()
    var roundRobin = 0
    let requestMetrics: RequestMetricsCache
    let timers: LoopTimers
    let metrics: GatewayMetrics
    /// Open client connections on this loop, for draining on shutdown.
    var connections: [ObjectIdentifier: any DrainableConnection] = [:]
    private var pools: [UpstreamTarget: UpstreamPool] = [:]
    /// The runtime's hosted functions (shared by every loop).
    let functionHosts: FunctionHosts
    /// The runtime's queues (shared by every loop).
    let queues: QueueRuntime
    private let maxUpstreamConnections: Int

    init(eventLoop: EventLoop, snapshot: GatewaySnapshot, metrics: GatewayMetrics, accessLog: AccessLogWriter?,
         maxUpstreamConnections: Int, functionHosts: FunctionHosts, queues: QueueRuntime) {
        self.eventLoop = eventLoop
        self.functionHosts = functionHosts
        self.queues = queues
        self.snapshot = snapshot
        self.metrics = metrics
        self.requestMetrics = RequestMetricsCache(metrics: metrics)
        self.timers = LoopTimers(eventLoop: eventLoop)
        self.accessLog = accessLog
        self.maxUpstreamConnections = maxUpstreamConnections
    }

    func pool(for target: UpstreamTarget) -> UpstreamPool {
        if let pool = pools[target] { return pool }
        let pool = UpstreamPool(eventLoop: eventLoop, target: target, maxConnections: maxUpstreamConnections,
                                gauges: metrics.upstreamGauges(for: target.authority))
        pools[target] = pool
        return pool
    }

    /// Keeps pools of targets still configured; closes idle connections of targets a reload removed.
    func retainPools(for snapshot: GatewaySnapshot) {
        var live = Set<UpstreamTarget>()
        for api in snapshot.apis {
            for route in api.routes {
                if case .http(let http) = route.integration { live.formUnion(http.targets) }
            }
        }
        for function in snapshot.functions {
            if case .remote(let remote) = function.backend { live.insert(remote.target) }
        }
        for (target, pool) in pools where !live.contains(target) {
            pool.closeIdle()
            if pool.totalCount == 0 { pools[target] = nil }
        }
    }

    func closeAllIdleUpstreams() {
        for pool in pools.values { pool.closeIdle() }
    }
}
