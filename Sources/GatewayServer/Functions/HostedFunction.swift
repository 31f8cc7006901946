import GatewayCore
import Logging
import NIOCore
import NIOPosix

/// A function the gateway hosts: a pool of worker processes polling the Lambda Runtime API
/// (`function-protocols.md` C.5). `provisioned` workers start at once and are kept; more start on demand up to
/// `maxConcurrency`; past it an invocation waits up to `maxWait` for a worker, then is throttled; workers idle past
/// `idleTimeout` beyond the provisioned ones stop; a worker that times out or crashes is replaced. All state is
/// confined to one event loop; `invoke` may be called from any thread.
final class HostedFunction: @unchecked Sendable {
    // @unchecked: every stored property is touched only on `eventLoop` (each entry point hops there first, and the
    // timers and channel callbacks it arms run there); `name`, `definition`, `settings`, `logger` and `eventLoop`
    // are immutable.
    let name: String
    let definition: FunctionDefinition
    let settings: HostedFunctionSettings
    let eventLoop: EventLoop
    let logger: Logger
    /// How long an invocation waits for a worker when all `maxConcurrency` are busy.
    let maxWait: TimeAmount
    private let baseEnvironment: [String: String]
    private let functionArn: String
    private var workers: [FunctionWorker] = []
    private var queue: [FunctionInvocation] = []
    private var stopping = false
    /// Consecutive workers that died before their first `/next`: the next start waits longer (a crash loop).
    private var failedStarts = 0
    private var restartPending = false
    private var reaper: RepeatedTask?
    private var readyWaiters: [EventLoopPromise<Void>] = []
    /// Init durations of cold starts (for metrics and tests).
    private(set) var coldStarts: [Duration] = []

    let metrics: FunctionMetrics?
    /// Where workers' output lines go (the gateway's `portcullis.functions` logger: JSON lines).
    let outputLogger: Logger

    init(definition: FunctionDefinition, settings: HostedFunctionSettings, eventLoop: EventLoop, logger: Logger,
         outputLogger: Logger? = nil, metrics: FunctionMetrics? = nil, maxWait: TimeAmount = .seconds(1)) {
        self.metrics = metrics
        self.outputLogger = outputLogger ?? logger
        self.name = definition.name
        self.definition = definition
        self.settings = settings
        self.eventLoop = eventLoop
        self.logger = logger
        self.maxWait = maxWait
        self.functionArn = "arn:aws:lambda:local:000000000000:function:\(definition.name)"
        self.baseEnvironment = Self.environment(for: definition, settings: settings)
    }

    /// The worker's whole environment: the configured variables over the standard Lambda ones (C.6); nothing
    /// of the gateway's own.
    static func environment(for definition: FunctionDefinition, settings: HostedFunctionSettings) -> [String: String] {
        var environment = [
            "AWS_LAMBDA_FUNCTION_NAME": definition.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": String(settings.memoryMB ?? 128),
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/\(definition.name)",
            "AWS_REGION": "local",
            "AWS_DEFAULT_REGION": "local",
            "LAMBDA_TASK_ROOT": settings.workingDirectory ?? "",
            "PATH": WorkerProcess.defaultPATH,
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
        ]
        for (name, value) in settings.environment { environment[name] = value }
        return environment
    }

    // MARK: lifecycle

    /// Starts the provisioned workers and the idle reaper; the future succeeds once they are all warm (parked in
    /// `/next`), or fails after `timeout` (the gateway still serves its other routes).
    func start(readyWithin timeout: TimeAmount) -> EventLoopFuture<Void> {
        eventLoop.flatSubmit { [self] in
            let interval = TimeAmount.nanoseconds(max(100_000_000, min(settings.idleTimeout.nanoseconds / 4, 1_000_000_000)))
            reaper = eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [self] _ in reapIdle() }
            for _ in 0..<settings.provisioned { startWorker(type: "provisioned-concurrency") }
            let promise = eventLoop.makePromise(of: Void.self)
            readyWaiters.append(promise)
            checkReady()
            eventLoop.scheduleTask(in: timeout) { [self] in
                promise.fail(FunctionStartError(function: name, reason: lastFailure ?? "workers were not ready in time"))
            }
            return promise.futureResult
        }
    }

    struct FunctionStartError: Error, CustomStringConvertible {
        let function: String
        let reason: String
        var description: String { "function \(function): \(reason)" }
    }

    private var lastFailure: String?

    private func checkReady() {
        guard workers.filter({ !$0.isStarting && !$0.isDead }).count >= settings.provisioned else { return }
        let waiters = readyWaiters
        readyWaiters.removeAll()
        for promise in waiters { promise.succeed(()) }
    }

    /// Stops taking invocations, lets those in progress finish within `grace`, then ends every worker.
    func stop(grace: TimeAmount) -> EventLoopFuture<Void> {
        eventLoop.flatSubmit { [self] in
            stopping = true
            reaper?.cancel()
            for invocation in queue { invocation.finish(.unavailable("the function is stopping")) }
            queue.removeAll()
            let promise = eventLoop.makePromise(of: Void.self)
            let deadline = NIODeadline.now() + grace
            func poll() {
                if workers.allSatisfy({ $0.currentRequestId == nil }) || NIODeadline.now() >= deadline {
                    for worker in workers { worker.stop(grace: .seconds(2)) }
                    // Done once every worker has ended (SIGTERM, or the SIGKILL 2 s after it).
                    let end = NIODeadline.now() + .milliseconds(2200)
                    func awaitExit() {
                        for worker in workers { worker.checkExit() }
                        if workers.isEmpty || NIODeadline.now() >= end { return promise.succeed(()) }
                        eventLoop.scheduleTask(in: .milliseconds(10)) { awaitExit() }
                    }
                    awaitExit()
                    return
                }
                eventLoop.scheduleTask(in: .milliseconds(20)) { poll() }
            }
            poll()
            return promise.futureResult
        }
    }

    // MARK: invocations

    /// Queues an invocation; `completion` runs once, on this function's loop.
    func invoke(requestId: String, event: [UInt8], completion: @escaping @Sendable (InvocationOutcome) -> Void) {
        eventLoop.execute { [self] in
            let invocation = FunctionInvocation(requestId: requestId, event: event, metrics: metrics, completion: completion)
            guard !stopping else { return invocation.finish(.unavailable("the function is stopping")) }
            queue.append(invocation)
            if workers.filter({ !$0.isDead }).count >= settings.maxConcurrency && !workers.contains(where: \.isIdle) {
                invocation.waitTimer = eventLoop.scheduleTask(in: maxWait) { [self] in
                    guard let index = queue.firstIndex(where: { $0 === invocation }) else { return }
                    queue.remove(at: index)
                    invocation.finish(.throttled)
                }
            }
            schedule()
        }
    }

    /// Hands queued invocations to idle workers, and starts workers for what remains, up to `maxConcurrency`.
    private func schedule() {
        while !queue.isEmpty, let worker = workers.first(where: \.isIdle) {
            let invocation = queue.removeFirst()
            if !worker.dispatch(invocation, timeout: definition.timeout, functionArn: functionArn) {
                queue.insert(invocation, at: 0)
                worker.checkExit()
                if !worker.isDead { break }
            } else {
                invocation.waitTimer?.cancel()
                invocation.waitTimer = nil
            }
        }
        let live = workers.filter { !$0.isDead }.count
        let starting = workers.filter(\.isStarting).count
        var needed = queue.count - starting
        var count = live
        while needed > 0 && count < settings.maxConcurrency && !stopping && !restartPending {
            startWorker(type: "on-demand")
            needed -= 1
            count += 1
        }
    }

    private func startWorker(type: String) {
        let worker = FunctionWorker(function: self)
        workers.append(worker)
        var environment = baseEnvironment
        environment["AWS_LAMBDA_INITIALIZATION_TYPE"] = type
        worker.start(environment: environment, settings: settings)
    }

    // MARK: worker reports

    func workerReady(_ worker: FunctionWorker, initDuration: Duration) {
        failedStarts = 0
        coldStarts.append(initDuration)
        metrics?.coldStarts.increment()
        metrics?.initDurations.recordNanoseconds(initDuration.nanoseconds)
        logger.info("function worker ready", metadata: ["function": "\(name)",
                                                        "initMs": "\(initDuration.nanoseconds / 1_000_000)"])
    }

    func workerIdle(_ worker: FunctionWorker) {
        schedule()
        checkReady()
    }

    func workerDied(_ worker: FunctionWorker, wasStarting: Bool) {
        workers.removeAll { $0 === worker }
        let reason = worker.exitReason ?? "ended"
        if wasStarting {
            failedStarts += 1
            let error = worker.initError ?? FunctionError(type: "Runtime.ExitError",
                                                           message: "Runtime exited before it was ready: \(reason)")
            lastFailure = "\(error.type): \(error.message)"
            // The invocation a cold start was for cannot wait for a runtime that does not start.
            if !queue.isEmpty && !stopping {
                queue.removeFirst().finish(.functionError(error))
            }
            if !stopping {
                logger.error("function worker failed to start", metadata: ["function": "\(name)", "reason": "\(lastFailure!)"])
            }
            // Start-up need not wait out its timeout for a function that cannot start.
            let waiters = readyWaiters
            readyWaiters.removeAll()
            for promise in waiters { promise.fail(FunctionStartError(function: name, reason: lastFailure!)) }
        } else if !stopping {
            logger.warning("function worker exited", metadata: ["function": "\(name)", "reason": "\(reason)"])
        }
        guard !stopping else { return }
        replenish()
    }

    /// Back to the provisioned count (and the queue's needs), waiting longer after each failed start.
    private func replenish() {
        guard failedStarts > 0 else {
            while workers.count < settings.provisioned { startWorker(type: "provisioned-concurrency") }
            schedule()
            return
        }
        guard !restartPending else { return }
        restartPending = true
        let delay = TimeAmount.milliseconds(Int64(min(30_000, 250 << min(failedStarts - 1, 7))))
        eventLoop.scheduleTask(in: delay) { [self] in
            restartPending = false
            guard !stopping else { return }
            if workers.count < settings.provisioned {
                startWorker(type: "provisioned-concurrency")
            }
            schedule()
        }
    }

    private func reapIdle() {
        let now = NIODeadline.now()
        let limit = TimeAmount.nanoseconds(settings.idleTimeout.nanoseconds)
        var live = workers.filter { !$0.isDead }.count
        for worker in workers where live > settings.provisioned && worker.isIdle && now - worker.idleSince >= limit {
            worker.stop(grace: .seconds(2))
            live -= 1
        }
    }

    /// Workers by state, for metrics and tests.
    var census: (starting: Int, idle: Int, busy: Int) {
        var result = (starting: 0, idle: 0, busy: 0)
        for worker in workers {
            if worker.isStarting { result.starting += 1 } else if worker.isIdle { result.idle += 1 } else if !worker.isDead {
                result.busy += 1
            }
        }
        return result
    }

    // MARK: output

    /// Reads a worker's stdout and stderr line by line into the gateway's log, tagged with the function and the
    /// request in progress.
    func readOutput(of worker: FunctionWorker, stdout: CInt, stderr: CInt) {
        for (descriptor, stream) in [(stdout, "stdout"), (stderr, "stderr")] {
            let bound = NIOLoopBound(worker, eventLoop: eventLoop)
            let function = NIOLoopBound(self, eventLoop: eventLoop)
            NIOPipeBootstrap(group: eventLoop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            WorkerOutputHandler(function: function.value, worker: bound.value, stream: stream))
                    }
                }
                .takingOwnershipOfDescriptor(input: descriptor)
                .whenFailure { [logger, name] error in
                    logger.error("cannot read function output", metadata: ["function": "\(name)", "error": "\(error)"])
                }
        }
    }
}
