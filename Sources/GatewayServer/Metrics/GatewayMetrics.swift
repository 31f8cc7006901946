import CoreMetrics
import GatewayIntegrations
import Prometheus

/// The gateway's metrics: one Prometheus registry per gateway instance (so tests can run several in one
/// process), written through swift-metrics handles, read by the admin `/metrics` endpoint.
public final class GatewayMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    let reloadSuccess: CoreMetrics.Counter
    let reloadFailure: CoreMetrics.Counter
    let connectionsActive: CoreMetrics.Meter
    let accessLogDropped: CoreMetrics.Counter
    /// Fleet mode: 1 while Redis answers, 0 while limits are decided as `onUnavailable` says.
    let stateStoreAvailable: CoreMetrics.Meter
    let stateStoreUnavailable: CoreMetrics.Counter
    let stateStoreRecovered: CoreMetrics.Counter
    let fleetInstances: CoreMetrics.Meter

    static let requestDuration = "http_server_request_duration_seconds"
    static let requestCount = "http_server_requests_total"

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[Self.requestDuration] = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
        ]
        for name in [FunctionMetrics.duration, FunctionMetrics.initDuration] {
            factory.durationHistogramBuckets[name] = [
                .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
                .seconds(10), .seconds(30), .seconds(60), .seconds(300), .seconds(900),
            ]
        }
        self.factory = factory
        reloadSuccess = CoreMetrics.Counter(label: "portcullis_config_reloads_total", dimensions: [("result", "success")], factory: factory)
        reloadFailure = CoreMetrics.Counter(label: "portcullis_config_reloads_total", dimensions: [("result", "failure")], factory: factory)
        connectionsActive = CoreMetrics.Meter(label: "portcullis_connections_active", dimensions: [], factory: factory)
        accessLogDropped = CoreMetrics.Counter(label: "portcullis_access_log_dropped_total", dimensions: [], factory: factory)
        stateStoreAvailable = CoreMetrics.Meter(label: "portcullis_state_store_available", dimensions: [], factory: factory)
        stateStoreUnavailable = CoreMetrics.Counter(label: "portcullis_state_store_transitions_total",
                                                    dimensions: [("to", "unavailable")], factory: factory)
        stateStoreRecovered = CoreMetrics.Counter(label: "portcullis_state_store_transitions_total",
                                                  dimensions: [("to", "available")], factory: factory)
        fleetInstances = CoreMetrics.Meter(label: "portcullis_fleet_instances", dimensions: [], factory: factory)
    }

    /// Prometheus text exposition of everything recorded so far.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }

    func requestHandles(api: String, route: String, method: String, status: Int) -> RequestMetricHandles {
        let dimensions = [("api", api), ("http_route", route), ("http_request_method", method),
                          ("http_response_status_code", String(status))]
        return RequestMetricHandles(
            count: CoreMetrics.Counter(label: Self.requestCount, dimensions: dimensions, factory: factory),
            duration: CoreMetrics.Timer(label: Self.requestDuration, dimensions: dimensions, factory: factory))
    }

    func upstreamGauges(for authority: String) -> UpstreamPoolGauges {
        UpstreamPoolGauges(
            active: MeterGauge(CoreMetrics.Meter(label: "portcullis_upstream_connections",
                                     dimensions: [("upstream", authority), ("state", "active")], factory: factory)),
            idle: MeterGauge(CoreMetrics.Meter(label: "portcullis_upstream_connections",
                                   dimensions: [("upstream", authority), ("state", "idle")], factory: factory)))
    }
}

/// A hosted function's metrics, with the names AWS users know from CloudWatch (Invocations, Errors, Throttles,
/// Duration, ConcurrentExecutions, cold starts and their init duration) in Prometheus form.
final class FunctionMetrics: Sendable {
    static let duration = "portcullis_function_duration_seconds"
    static let initDuration = "portcullis_function_init_duration_seconds"

    let invocations: CoreMetrics.Counter
    let errors: CoreMetrics.Counter
    let throttles: CoreMetrics.Counter
    let durations: CoreMetrics.Timer
    let concurrentExecutions: CoreMetrics.Meter
    let coldStarts: CoreMetrics.Counter
    let initDurations: CoreMetrics.Timer

    init(function: String, metrics: GatewayMetrics) {
        let dimensions = [("function", function)]
        let factory = metrics.factory
        invocations = CoreMetrics.Counter(label: "portcullis_function_invocations_total", dimensions: dimensions, factory: factory)
        errors = CoreMetrics.Counter(label: "portcullis_function_errors_total", dimensions: dimensions, factory: factory)
        throttles = CoreMetrics.Counter(label: "portcullis_function_throttles_total", dimensions: dimensions, factory: factory)
        durations = CoreMetrics.Timer(label: Self.duration, dimensions: dimensions, factory: factory)
        concurrentExecutions = CoreMetrics.Meter(label: "portcullis_function_concurrent_executions", dimensions: dimensions,
                                                 factory: factory)
        coldStarts = CoreMetrics.Counter(label: "portcullis_function_cold_starts_total", dimensions: dimensions, factory: factory)
        initDurations = CoreMetrics.Timer(label: Self.initDuration, dimensions: dimensions, factory: factory)
    }
}

struct RequestMetricHandles {
    let count: CoreMetrics.Counter
    let duration: CoreMetrics.Timer
}

/// Adapts a swift-metrics `CoreMetrics.Meter` (atomic up/down in Prometheus) to the pool's gauge protocol.
final class MeterGauge: GaugeCounter {
    let meter: CoreMetrics.Meter
    init(_ meter: CoreMetrics.Meter) { self.meter = meter }
    func increment() { meter.increment(by: 1) }
    func decrement() { meter.decrement(by: 1) }
}

/// Per-event-loop cache of request metric handles, so the hot path does one dictionary lookup on small
/// integers instead of building labels and asking the registry (which takes a lock) for every request.
final class RequestMetricsCache {
    struct Key: Hashable {
        let api: Int
        let route: Int
        let method: UInt8
        let status: Int
    }

    private let metrics: GatewayMetrics
    private var handles: [Key: RequestMetricHandles] = [:]
    private var snapshotIdentity: ObjectIdentifier?

    init(metrics: GatewayMetrics) { self.metrics = metrics }

    /// Methods outside the standard set share one label value to bound cardinality (OTel's `_OTHER`).
    static let methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "_OTHER"]

    static func methodIndex(_ method: String) -> UInt8 {
        UInt8(methods.firstIndex(of: method) ?? methods.count - 1)
    }

    func record(snapshot: ObjectIdentifier, api: Int, route: Int, apiName: String, routeKey: String,
                method: String, status: Int, durationNanoseconds: Int64) {
        if snapshot != snapshotIdentity {
            handles.removeAll(keepingCapacity: true)
            snapshotIdentity = snapshot
        }
        let methodIndex = Self.methodIndex(method)
        let key = Key(api: api, route: route, method: methodIndex, status: status)
        let entry: RequestMetricHandles
        if let cached = handles[key] {
            entry = cached
        } else {
            entry = metrics.requestHandles(api: apiName, route: routeKey, method: Self.methods[Int(methodIndex)],
                                           status: status)
            if handles.count < 10_000 { handles[key] = entry }
        }
        entry.count.increment()
        entry.duration.recordNanoseconds(durationNanoseconds)
    }
}
