import Logging
import ServiceLifecycle
import UnixSignals

/// Runs the gateway under swift-service-lifecycle: SIGTERM/SIGINT start a graceful drain, SIGHUP reloads.
public struct GatewayService: Service {
    let runtime: GatewayRuntime

    public init(runtime: GatewayRuntime) { self.runtime = runtime }

    public func run() async throws {
        try await runtime.start()
        let runtime = self.runtime
        let reloads = Task {
            for await _ in await UnixSignalsSequence(trapping: .sighup) {
                _ = runtime.reload()
            }
        }
        let certificateChecks = Task { await runtime.watchCertificateFiles() }
        // Expired cache entries are reclaimed even when nobody asks for them again.
        let cacheSweeps = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(5))
                let snapshot = runtime.snapshot
                snapshot.responseCache?.reclaimExpired(now: snapshot.state.clock.now())
            }
        }
        try? await gracefulShutdown()
        runtime.logger.info("draining: no new connections; finishing in-flight requests")
        reloads.cancel()
        certificateChecks.cancel()
        cacheSweeps.cancel()
        await runtime.drainAndStop()
    }
}
