import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Runs a plan: connects, offers requests at the plan's constant rate, and returns what came back.
public enum LoadTestRunner {
    /// Calls `onProgress` about once a second while running.
    public static func run(_ plan: LoadTestPlan,
                           onProgress: @escaping @Sendable (LoadTestProgress) -> Void = { _ in }) async throws
        -> LoadTestResults {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, plan.threads))
        do {
            let results = try await run(plan, group: group, onProgress: onProgress)
            try? await group.shutdownGracefully()
            return results
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private static func run(_ plan: LoadTestPlan, group: MultiThreadedEventLoopGroup,
                            onProgress: @escaping @Sendable (LoadTestProgress) -> Void) async throws -> LoadTestResults {
        let tls = try plan.target.https ? makeTLSContext(plan) : nil
        let total = plan.offeredRequests
        let seconds = Int((Double(plan.duration.components.seconds) + Double(plan.duration.components.attoseconds) / 1e18).rounded(.up))
        // Request 0 is due shortly after the start, so the first connections are open by then.
        let start = Int64(NIODeadline.now().uptimeNanoseconds) + 200_000_000
        let loops = Array(group.makeIterator())
        var runs: [EventLoopFuture<LoadTestResults>] = []
        var bounds: [NIOLoopBound<LoopRun>] = []
        for (loopIndex, loop) in loops.enumerated() {
            let shares = Array(stride(from: loopIndex, to: min(plan.connections, max(total, 1)), by: loops.count))
            let (bound, done) = try await loop.submit {
                let run = LoopRun(plan: plan, eventLoop: loop, start: start, totalRequests: total, seconds: seconds,
                                  tls: tls, connections: shares.count)
                for share in shares { run.connect(from: share) }
                return (NIOLoopBound(run, eventLoop: loop), run.done.futureResult)
            }.get()
            bounds.append(bound)
            runs.append(done)
        }
        let progress = Task {
            var lastSent = 0
            let started = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                if Task.isCancelled { break }
                var counts = LoadTestResults.Counts()
                for bound in bounds {
                    if let c = try? await bound.eventLoop.submit({ bound.value.results.total }).get() { counts.add(c) }
                }
                let elapsed = ContinuousClock.now - started
                onProgress(LoadTestProgress(elapsed: elapsed, counts: counts, currentRate: Double(counts.sent - lastSent)))
                lastSent = counts.sent
            }
        }
        var results = LoadTestResults(seconds: seconds, keys: plan.apiKeys.count)
        for run in runs { results.merge(try await run.get()) }
        progress.cancel()
        return results
    }

    static func makeTLSContext(_ plan: LoadTestPlan) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if plan.insecure { configuration.certificateVerification = .none }
        if let caFile = plan.caFile { configuration.trustRoots = .file(caFile) }
        return try NIOSSLContext(configuration: configuration)
    }
}

public struct LoadTestProgress: Sendable {
    public let elapsed: Duration
    public let counts: LoadTestResults.Counts
    /// Requests sent in the last second.
    public let currentRate: Double
}

/// One request as sent for one API key (or for none).
struct PreparedRequest {
    let head: HTTPRequestHead
    let body: ByteBuffer?
}

/// One event loop's part of a run: its connections, its results and the schedule they share.
final class LoopRun {
    let plan: LoadTestPlan
    let eventLoop: EventLoop
    /// Uptime nanoseconds at which request 0 is due.
    let start: Int64
    let totalRequests: Int
    let requests: [PreparedRequest]
    let timeout: TimeAmount
    let tls: NIOSSLContext?
    var results: LoadTestResults
    private var activeConnections: Int
    let done: EventLoopPromise<LoadTestResults>

    init(plan: LoadTestPlan, eventLoop: EventLoop, start: Int64, totalRequests: Int, seconds: Int, tls: NIOSSLContext?,
         connections: Int) {
        self.plan = plan
        self.eventLoop = eventLoop
        self.start = start
        self.totalRequests = totalRequests
        self.tls = tls
        self.timeout = .nanoseconds(Int64(plan.timeout.components.seconds) * 1_000_000_000
                                    + plan.timeout.components.attoseconds / 1_000_000_000)
        results = LoadTestResults(seconds: seconds, keys: plan.apiKeys.count)
        activeConnections = connections
        done = eventLoop.makePromise()
        requests = (plan.apiKeys.isEmpty ? [nil] : plan.apiKeys.map { Optional($0) }).map { key in
            var headers = HTTPHeaders()
            headers.add(name: "host", value: plan.target.authority)
            headers.add(name: "user-agent", value: "portcullis-loadtest")
            if let key { headers.add(name: "x-api-key", value: key) }
            for (name, value) in plan.headers { headers.add(name: name, value: value) }
            if !plan.body.isEmpty || ["POST", "PUT", "PATCH"].contains(plan.method) {
                headers.add(name: "content-length", value: String(plan.body.count))
            }
            let head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: plan.method),
                                       uri: plan.target.requestTarget, headers: headers)
            return PreparedRequest(head: head, body: plan.body.isEmpty ? nil : ByteBuffer(bytes: plan.body))
        }
        if connections == 0 { done.succeed(results) }
    }

    func keyIndex(of index: Int) -> Int? { plan.apiKeys.isEmpty ? nil : index % plan.apiKeys.count }

    func second(of intended: Int64) -> Int { max(0, Int((intended - start) / 1_000_000_000)) }

    /// Opens a connection for the share whose next request is `nextIndex`.
    func connect(from nextIndex: Int) {
        guard nextIndex < totalRequests else {
            connectionFinished()
            return
        }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let tls = self.tls
        let host = plan.target.host
        let serverName = host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host
        ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls { try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName)) }
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(LoadConnection(run: bound.value, nextIndex: nextIndex))
                }
            }
            .connect(host: host, port: plan.target.port)
            .whenFailure { _ in bound.value.connectFailed(nextIndex: nextIndex) }
    }

    /// The request due next could not be sent: it is an error, and the share tries again when its next one is due.
    private func connectFailed(nextIndex: Int) {
        let intended = start + plan.intendedOffset(of: nextIndex)
        results.recordSent(index: nextIndex, second: second(of: intended), key: keyIndex(of: nextIndex), lateBy: 0)
        results.recordError(second: second(of: intended), key: keyIndex(of: nextIndex))
        let following = nextIndex + plan.connections
        guard following < totalRequests else {
            connectionFinished()
            return
        }
        let due = start + plan.intendedOffset(of: following)
        eventLoop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(UInt64(max(due, 0)))) {
            self.connect(from: following)
        }
    }

    func connectionFinished() {
        activeConnections -= 1
        if activeConnections == 0 { done.succeed(results) }
    }
}
