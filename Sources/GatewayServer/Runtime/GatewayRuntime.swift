import FleetState
import GatewayConfig
import GatewayCore
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Owns the event loops, the current snapshot and the listeners; reload and drain live here.
///
/// Each event loop keeps its own reference to the snapshot (`LoopState`), so requests read it without a
/// lock; a reload compiles off the loops and then publishes to every loop with `execute`.
public final class GatewayRuntime: Sendable {
    public struct Options: Sendable {
        public var eventLoops: Int
        /// Total upstream connections per target per event loop.
        public var maxUpstreamConnectionsPerLoop: Int
        /// How long a drain waits for in-flight requests before closing what is left.
        public var drainTimeout: Duration
        /// How often certificate and key files are checked for changes on disk (renewals).
        public var certificateCheckInterval: Duration = .seconds(5)
        public init(eventLoops: Int = System.coreCount, maxUpstreamConnectionsPerLoop: Int = 512,
                    drainTimeout: Duration = .seconds(30)) {
            self.eventLoops = eventLoops
            self.maxUpstreamConnectionsPerLoop = maxUpstreamConnectionsPerLoop
            self.drainTimeout = drainTimeout
        }
    }

    public enum ReloadResult: Sendable {
        case reloaded(summary: String, warnings: [ConfigDiagnostic])
        case rejected([ConfigDiagnostic])
    }

    private struct Shared {
        var snapshot: GatewaySnapshot
        var accessLogs: [String: AccessLogWriter] = [:]
        var listeners: [Channel] = []
        var httpAddress: SocketAddress?
        var httpsAddress: SocketAddress?
        var adminAddress: SocketAddress?
        /// Certificates for the HTTPS listener; reloads update them in place.
        var tlsStore: TLSCertificateStore?
        var started = false
        /// Persists throttle and quota counters when `state.path` is set.
        var stateWriter: (writer: LimitStateWriter, task: Task<Void, Never>)?
        /// Fleet mode: the heartbeat and the cache-invalidation subscriber.
        var fleetTasks: [Task<Void, Never>] = []
    }

    public let group: MultiThreadedEventLoopGroup
    public let metrics: GatewayMetrics
    public let logger: Logger
    public let configPath: String
    let options: Options
    private let environment: @Sendable () -> [String: String]
    private let loops: [ObjectIdentifier: NIOLoopBoundBox<LoopState>]
    /// Functions the gateway hosts (worker processes), kept across reloads that leave them unchanged.
    let functionHosts: FunctionHosts
    let queues: QueueRuntime
    private let shared: Mutex<Shared>
    /// Serialises reloads so two SIGHUPs never race to publish.
    private let reloadLock = Mutex(())
    /// Fleet mode (`state.store = "redis"`): the counters the snapshot's stores share through Redis.
    public let fleet: Fleet?

    /// Starts from an already compiled snapshot (the caller loaded it and reported its diagnostics).
    public init(snapshot: GatewaySnapshot, configPath: String, options: Options = .init(), logger: Logger,
                environment: @escaping @Sendable () -> [String: String], fleet: Fleet? = nil) throws {
        self.fleet = fleet
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, options.eventLoops))
        self.metrics = GatewayMetrics()
        self.logger = logger
        self.configPath = configPath
        self.options = options
        self.environment = environment
        var shared = Shared(snapshot: snapshot)
        let accessLog = try Self.accessLogWriter(for: snapshot, cache: &shared.accessLogs, metrics: metrics)
        var loops: [ObjectIdentifier: NIOLoopBoundBox<LoopState>] = [:]
        let functionHosts = FunctionHosts(logger: logger, metrics: metrics)
        self.functionHosts = functionHosts
        let invoker = BackgroundInvoker(functionHosts: functionHosts)
        let queues = QueueRuntime(logger: logger) { await invoker.invoke($0, event: $1) }
        self.queues = queues
        for loop in group.makeIterator() {
            let state = LoopState(eventLoop: loop, snapshot: snapshot, metrics: metrics, accessLog: accessLog,
                                  maxUpstreamConnections: options.maxUpstreamConnectionsPerLoop,
                                  functionHosts: functionHosts, queues: queues)
            loops[ObjectIdentifier(loop)] = NIOLoopBoundBox.makeBoxSendingValue(state, eventLoop: loop)
        }
        self.loops = loops
        self.shared = Mutex(shared)
        invoker.attach(self)
    }

    public var snapshot: GatewaySnapshot { shared.withLock { $0.snapshot } }
    public var httpAddress: SocketAddress? { shared.withLock { $0.httpAddress } }
    public var httpsAddress: SocketAddress? { shared.withLock { $0.httpsAddress } }
    public var adminAddress: SocketAddress? { shared.withLock { $0.adminAddress } }

    func loopState(for eventLoop: EventLoop) -> LoopState {
        loops[ObjectIdentifier(eventLoop)]!.value
    }

    /// Binds the data-plane and admin listeners; returns once both accept connections.
    public func start() async throws {
        let snapshot = self.snapshot
        // Counters come back from disk before the first request can count.
        if let directory = snapshot.settings.state.path, let store = snapshot.state.limits as? MemoryLimitStore,
           let writer = await LimitStateWriter.start(directory: directory, store: store, logger: logger) {
            let task = Task { await writer.run() }
            shared.withLock { $0.stateWriter = (writer, task) }
        }
        if let fleet { await startFleet(fleet) }
        // Provisioned workers are warm before the listeners open; a function that cannot start leaves its routes
        // answering 502 and every other route working.
        await startFunctions(functionHosts.sync(snapshot.functions, group: group).started)
        // Consumers start once their functions are warm; routes can send from the first request.
        await queues.start(Self.queueDefinitions(snapshot), storage: queueStorage(snapshot))
        if fleet != nil, let directory = snapshot.settings.state.path, QueueJournal.exists(in: directory) {
            logger.warning("queues are in Redis (state.store is redis): the messages in \(directory)/\(QueueJournal.fileName) are not read; drain them with the local store first")
        }
        var channels: [Channel] = []
        var httpAddress: SocketAddress?
        if let listen = snapshot.settings.listen.http {
            let channel = try await EdgeListener.bind(runtime: self, address: listen)
            channels.append(channel)
            httpAddress = channel.localAddress
        }
        var httpsAddress: SocketAddress?
        var tlsStore: TLSCertificateStore?
        if let listen = snapshot.settings.listen.https, let tls = snapshot.settings.tls {
            let store = try TLSCertificateStore(tls)
            let channel = try await EdgeListener.bind(runtime: self, address: listen, tls: store)
            channels.append(channel)
            httpsAddress = channel.localAddress
            tlsStore = store
        }
        let admin = try await AdminListener.bind(runtime: self, address: snapshot.settings.admin.listen)
        channels.append(admin)
        shared.withLock {
            $0.listeners = channels
            $0.httpAddress = httpAddress
            $0.httpsAddress = httpsAddress
            $0.tlsStore = tlsStore
            $0.adminAddress = admin.localAddress
            $0.started = true
        }
        var parts: [String] = []
        if let httpAddress { parts.append("http=\(httpAddress.displayString)") }
        if let httpsAddress { parts.append("https=\(httpsAddress.displayString)") }
        if let adminAddress = admin.localAddress { parts.append("admin=\(adminAddress.displayString)") }
        logger.info("portcullis ready: \(parts.joined(separator: " "))")
    }

    /// Fleet mode: joins the fleet before the listeners open, reports Redis's availability in the log and in
    /// `/metrics`, and flushes this instance's cache when another instance's `DELETE /cache` says so.
    private func startFleet(_ fleet: Fleet) async {
        let logger = self.logger, metrics = self.metrics
        metrics.stateStoreAvailable.set(1)
        fleet.availability.onTransition { transition in
            switch transition {
            case .unavailable(let reason):
                metrics.stateStoreAvailable.set(0)
                metrics.stateStoreUnavailable.increment()
                logger.error("state store unavailable (\(reason)); limits follow onUnavailable \"\(fleet.settings.onUnavailable.rawValue)\" until it is back")
            case .available(let milliseconds):
                metrics.stateStoreAvailable.set(1)
                metrics.stateStoreRecovered.increment()
                logger.notice("state store available again after \(milliseconds) ms; local counts resynchronised")
            }
        }
        let heartbeat = await fleet.join()
        metrics.fleetInstances.set(fleet.membership.liveInstances)
        let instances = Task {
            while !Task.isCancelled {
                metrics.fleetInstances.set(fleet.membership.liveInstances)
                try? await Task.sleep(for: .seconds(1))
            }
        }
        let invalidation = Task { [weak self] in
            await fleet.cacheInvalidation.run(flush: { [weak self] scope in
                _ = self?.snapshot.responseCache?.flush(api: scope.api, route: scope.route)
            })
        }
        shared.withLock { $0.fleetTasks = [heartbeat, instances, invalidation] }
        logger.info("joined the fleet on \(fleet.pool.url.host):\(fleet.pool.url.port) as \(fleet.instanceID) (\(fleet.membership.liveInstances) live)")
    }

    /// Loads `path` for `serve`: with `state.store = "redis"` the config is compiled a second time against the
    /// fleet's stores (the first pass only finds the settings), and the fleet is returned for the runtime.
    public static func loadConfiguration(path: String, environment: [String: String]) -> (result: ConfigLoadResult, fleet: Fleet?) {
        let first = ConfigLoader.load(path: path, environment: environment)
        guard let redis = first.snapshot?.settings.state.redis, let fleet = Fleet(settings: redis) else { return (first, nil) }
        let state = GatewayState(rateWindows: fleet.rateWindows, limits: fleet.limits)
        return (ConfigLoader.load(path: path, environment: environment, state: state), fleet)
    }

    /// How long start-up waits for a function's provisioned workers.
    static let functionWarmUpTimeout = TimeAmount.seconds(15)

    private func startFunctions(_ functions: [HostedFunction]) async {
        let starts = functions.map { ($0, $0.start(readyWithin: Self.functionWarmUpTimeout)) }
        for (function, start) in starts {
            do {
                try await start.get()
            } catch {
                logger.error("function \(function.name) is not ready; its routes answer 502 until a worker starts: \(error)")
            }
        }
    }

    /// Re-reads the config file and swaps the snapshot as one transaction: on any error nothing changes.
    public func reload() -> ReloadResult {
        reloadLock.withLock { _ in
            let result = ConfigLoader.load(path: configPath, environment: environment(), state: self.snapshot.state)
            let errors = result.diagnostics.filter { $0.severity == .error }
            guard let snapshot = result.snapshot, errors.isEmpty else {
                metrics.reloadFailure.increment()
                for diagnostic in result.diagnostics {
                    logger.error("reload rejected: \(configPath): \(diagnostic.pointer): \(diagnostic.message)")
                }
                return .rejected(result.diagnostics)
            }
            var warnings = result.diagnostics
            let old = self.snapshot
            if snapshot.settings.state != old.settings.state {
                warnings.append(ConfigDiagnostic(pointer: "/state", message: "the state store changes only on restart",
                                                 severity: .warning))
            }
            if snapshot.settings.listen != old.settings.listen {
                warnings.append(ConfigDiagnostic(pointer: "/listen", message: "listener addresses change only on restart",
                                                 severity: .warning))
            }
            if snapshot.settings.admin.listen != old.settings.admin.listen {
                warnings.append(ConfigDiagnostic(pointer: "/admin/listen",
                                                 message: "the admin address changes only on restart", severity: .warning))
            }
            let accessLog: AccessLogWriter?
            do {
                accessLog = try shared.withLock { try Self.accessLogWriter(for: snapshot, cache: &$0.accessLogs, metrics: metrics) }
            } catch {
                metrics.reloadFailure.increment()
                let diagnostic = ConfigDiagnostic(pointer: "/accessLog/path", message: "\(error)", severity: .error)
                logger.error("reload rejected: \(configPath): /accessLog/path: \(error)")
                return .rejected([diagnostic])
            }
            if let tls = snapshot.settings.tls, let store = shared.withLock({ $0.tlsStore }) {
                do {
                    try store.update(tls)
                } catch {
                    // Unreachable in practice (the compiler already parsed every file), but never half-apply.
                    metrics.reloadFailure.increment()
                    logger.error("reload rejected: \(configPath): /tls: \(error)")
                    return .rejected([ConfigDiagnostic(pointer: "/tls", message: "\(error)", severity: .error)])
                }
            }
            if snapshot.settings.tls?.minimumVersion != old.settings.tls?.minimumVersion
                || snapshot.settings.tls?.http2 != old.settings.tls?.http2 {
                warnings.append(ConfigDiagnostic(pointer: "/tls", message: "minVersion and http2 change only on restart",
                                                 severity: .warning))
            }
            // New and changed functions start warming now (a reload does not wait for them); removed ones stop once
            // the new snapshot no longer routes to them, after their invocations in progress.
            let functions = functionHosts.sync(snapshot.functions, group: group)
            for function in functions.started {
                function.start(readyWithin: Self.functionWarmUpTimeout).whenFailure { [logger] error in
                    logger.error("function \(function.name) is not ready: \(error)")
                }
            }
            shared.withLock { $0.snapshot = snapshot }
            publish(snapshot, accessLog: accessLog)
            queues.apply(Self.queueDefinitions(snapshot), storage: queueStorage(old))
            for function in functions.removed { _ = function.stop(grace: .seconds(30)) }
            metrics.reloadSuccess.increment()
            let summary = ConfigSummary.summary(of: snapshot)
            for warning in warnings { logger.warning("\(configPath): \(warning.pointer): \(warning.message)") }
            logger.info("configuration reloaded: \(summary)")
            return .reloaded(summary: summary, warnings: warnings)
        }
    }

    /// Queues live in Redis Streams in fleet mode (every instance shares them), else in this process, journaled
    /// under `state.path` when it is set.
    private func queueStorage(_ snapshot: GatewaySnapshot) -> QueueRuntime.Storage {
        if let fleet { return .fleet(fleet.queues) }
        return .local(directory: snapshot.settings.state.path)
    }

    /// The configured queues and the internal ones of asynchronous invocation.
    static func queueDefinitions(_ snapshot: GatewaySnapshot) -> [QueueDefinition] {
        snapshot.queues + AsyncInvocation.queues(functions: snapshot.functions, apis: snapshot.apis)
    }

    private func publish(_ snapshot: GatewaySnapshot, accessLog: AccessLogWriter?) {
        for (_, box) in loops {
            box.eventLoop.execute {
                let state = box.value
                state.snapshot = snapshot
                state.accessLog = accessLog
                state.retainPools(for: snapshot)
            }
        }
    }

    /// Until cancelled: reloads when a certificate or key file of the running snapshot changes on disk. A reload
    /// that fails (say, a half-written file) keeps the running certificates and is tried again at every check
    /// until the files load (or are put back as they were).
    public func watchCertificateFiles() async {
        var watcher = CertificateFileWatcher(settings: snapshot.settings.tls)
        while !Task.isCancelled {
            try? await Task.sleep(for: options.certificateCheckInterval)
            if Task.isCancelled { return }
            checkCertificateFiles(&watcher)
        }
    }

    /// One check of `watchCertificateFiles`; `reload` is this runtime's, replaceable so tests can write files
    /// while it runs.
    func checkCertificateFiles(_ watcher: inout CertificateFileWatcher, reload: () -> ReloadResult) {
        guard let before = watcher.pendingChange(settings: snapshot.settings.tls) else { return }
        logger.info("certificate files changed on disk; reloading")
        if case .reloaded = reload() {
            watcher.reloaded(before: before, settings: snapshot.settings.tls)
        }
    }

    func checkCertificateFiles(_ watcher: inout CertificateFileWatcher) {
        checkCertificateFiles(&watcher, reload: { self.reload() })
    }

    /// Graceful stop: stop accepting, let in-flight requests finish (bounded), then release everything.
    public func drainAndStop() async {
        let listeners = shared.withLock { state -> [Channel] in
            let channels = state.listeners
            state.listeners = []
            return channels
        }
        for channel in listeners { try? await channel.close() }
        for (_, box) in loops {
            box.eventLoop.execute {
                let state = box.value
                state.draining = true
                for handler in Array(state.connections.values) { handler.drain() }
            }
        }
        let deadline = ContinuousClock.now.advanced(by: options.drainTimeout)
        while ContinuousClock.now < deadline {
            if await openConnections() == 0 { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        for (_, box) in loops {
            try? await box.eventLoop.submit {
                let state = box.value
                for handler in Array(state.connections.values) { handler.forceClose() }
                state.closeAllIdleUpstreams()
            }.get()
        }
        // Consumers take no more batches and settle the ones in flight while their functions still run.
        await queues.stop()
        // Workers end after the invocations still running (bounded), before the loops they live on stop.
        for function in functionHosts.all { try? await function.stop(grace: .seconds(5)).get() }
        let writers = shared.withLock { Array($0.accessLogs.values) }
        for writer in writers { writer.close() }
        if let state = shared.withLock({ $0.stateWriter }) {
            state.task.cancel()
            await state.task.value
            await state.writer.stop()
        }
        if let fleet { await fleet.leave(tasks: shared.withLock { $0.fleetTasks }) }
        try? await group.shutdownGracefully()
        logger.info("portcullis stopped")
    }

    public func openConnections() async -> Int {
        var total = 0
        for (_, box) in loops {
            total += (try? await box.eventLoop.submit { box.value.connections.count }.get()) ?? 0
        }
        return total
    }

    private static func accessLogWriter(for snapshot: GatewaySnapshot, cache: inout [String: AccessLogWriter],
                                        metrics: GatewayMetrics) throws -> AccessLogWriter? {
        guard let path = snapshot.settings.accessLog?.path else { return nil }
        if let writer = cache[path] { return writer }
        let dropped = metrics.accessLogDropped
        let writer = try AccessLogWriter(path: path, onDrop: { dropped.increment(by: $0) })
        cache[path] = writer
        return writer
    }
}

extension SocketAddress {
    /// "127.0.0.1:8080" / "[::1]:8080", for log lines.
    var displayString: String {
        let host = ipAddress ?? "?"
        let port = self.port ?? 0
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
