import GatewayCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// One worker process of a hosted function and its Runtime API endpoint (`function-protocols.md` C.5): starting
/// until its first `/next`, then idle (parked) or busy with one invocation; dead once its process ended or was
/// killed. Confined to the function's event loop.
final class FunctionWorker: RuntimeAPIDelegate {
    enum State {
        case starting
        case idle
        case busy(FunctionInvocation)
        /// Being killed (its invocation timed out): neither starting nor available.
        case ending
        case dead
    }

    /// Strong: scheduled tasks and pipe callbacks may still reach a worker after the function dropped it.
    private let function: HostedFunction
    let eventLoop: EventLoop
    private(set) var state = State.starting
    private(set) var process: WorkerProcess?
    private var listener: Channel?
    private var parked: RuntimeAPIHandler?
    private var invocationTimer: Scheduled<Void>?
    private var exitCheck: RepeatedTask?
    /// What the runtime reported at `/init/error`, for the invocation it was started for.
    private(set) var initError: FunctionError?
    let startedAt = NIODeadline.now()
    private(set) var idleSince = NIODeadline.now()
    private(set) var exitReason: String?

    init(function: HostedFunction) {
        self.function = function
        self.eventLoop = function.eventLoop
    }

    var isIdle: Bool {
        if case .idle = state { return parked != nil }
        return false
    }

    var isStarting: Bool {
        if case .starting = state { return true }
        return false
    }

    var isDead: Bool {
        if case .dead = state { return true }
        return false
    }

    // MARK: start and stop

    /// Opens the Runtime API on an ephemeral loopback port, then spawns the process pointed at it (listening
    /// first: awslambdaric exits at once when nothing answers).
    func start(environment: [String: String], settings: HostedFunctionSettings) {
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        ServerBootstrap(group: eventLoop)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            // Without it Nagle and delayed ACKs cost every invocation 88 ms (C.5).
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(RuntimeAPIHandler(delegate: bound.value))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .whenComplete { result in
                let worker = bound.value
                switch result {
                case .success(let channel):
                    worker.listening(on: channel, environment: environment, settings: settings)
                case .failure(let error):
                    worker.died("the Runtime API could not listen: \(error)")
                }
            }
    }

    private func listening(on channel: Channel, environment: [String: String], settings: HostedFunctionSettings) {
        listener = channel
        guard !isDead, let port = channel.localAddress?.port else {
            channel.close(promise: nil)
            return
        }
        var environment = environment
        environment["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:\(port)"
        do {
            let searchPath = WorkerProcess.searchPath(configured: settings.environment,
                                                      gateway: getenv("PATH").map { String(cString: $0) })
            let process = try WorkerProcess.spawn(command: settings.command, environment: environment,
                                                  searchPath: searchPath, workingDirectory: settings.workingDirectory,
                                                  memoryMB: settings.memoryMB)
            self.process = process
            function.readOutput(of: self, stdout: process.stdout, stderr: process.stderr)
            // The output pipes close when the process ends; this catches an end that leaves them open (a child of
            // the worker holding them).
            let bound = NIOLoopBound(self, eventLoop: eventLoop)
            exitCheck = eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(500), delay: .milliseconds(500)) { _ in
                bound.value.checkExit()
            }
        } catch {
            died("\(error)")
        }
    }

    /// Ends the worker: SIGTERM, then SIGKILL after `grace`.
    func stop(grace: TimeAmount) {
        guard let process, !isDead else { return died("stopped") }
        process.signal(SIGTERM)
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        eventLoop.scheduleTask(in: grace) {
            let worker = bound.value
            if worker.process.map({ $0.reap() == nil }) ?? false { worker.process?.signal(SIGKILL) }
            worker.checkExit()
        }
    }

    /// Called when the output pipes close, and periodically: reaps the process once it ended.
    func checkExit() {
        guard let process, let status = process.reap() else { return }
        self.process = nil
        died(status)
    }

    /// The process ended or could not run: whatever it was doing fails, and the function replaces it.
    private func died(_ reason: String) {
        if isDead { return }
        let previous = state
        state = .dead
        exitReason = reason
        exitCheck?.cancel()
        exitCheck = nil
        invocationTimer?.cancel()
        invocationTimer = nil
        parked = nil
        if let process {
            process.signal(SIGKILL)
            Self.reapSoon(process, on: eventLoop)
            self.process = nil
        }
        listener?.close(promise: nil)
        listener = nil
        if case .busy(let invocation) = previous {
            invocation.finish(.functionError(FunctionError(type: "Runtime.ExitError",
                                                           message: "Runtime exited with error: \(reason)")))
        }
        function.workerDied(self, wasStarting: { if case .starting = previous { return true } else { return false } }())
    }

    // MARK: invocations

    /// Hands `invocation` to this idle worker's parked `/next`.
    func dispatch(_ invocation: FunctionInvocation, timeout: Duration, functionArn: String) -> Bool {
        guard isIdle, let parked else { return false }
        self.parked = nil
        let deadline = WallClock.epochMilliseconds() + timeout.nanoseconds / 1_000_000
        guard parked.deliver(requestId: invocation.invocationId, deadlineMilliseconds: deadline, functionArn: functionArn,
                             event: invocation.event) else {
            // The connection is gone (the process died while parked): the event goes back to the queue.
            return false
        }
        state = .busy(invocation)
        lastRequestId = invocation.requestId
        invocation.dispatched()
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        invocationTimer = eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) { bound.value.timedOut() }
        return true
    }

    private func timedOut() {
        guard case .busy(let invocation) = state else { return }
        invocationTimer = nil
        state = .ending
        invocation.finish(.timedOut)
        function.logger.warning("function invocation timed out; its worker is killed and replaced",
                                metadata: ["function": "\(function.name)", "requestId": "\(invocation.requestId)"])
        died("killed after the function's timeout")
    }

    /// The invocation in progress, if any.
    var currentRequestId: String? {
        if case .busy(let invocation) = state { return invocation.requestId }
        return nil
    }

    /// The request of the invocation handed out last, kept after it ends: the output pipe is read independently of
    /// the Runtime API connection, so a line printed just before the result may be read just after it.
    private(set) var lastRequestId: String?

    /// `requestId` is the id in the runtime's path: the invocation's `invocationId`.
    private func finishInvocation(_ requestId: Substring, _ outcome: InvocationOutcome) -> Bool {
        guard case .busy(let invocation) = state, invocation.invocationId == requestId else { return false }
        invocationTimer?.cancel()
        invocationTimer = nil
        state = .idle
        idleSince = .now()
        invocation.finish(outcome)
        return true
    }

    // MARK: RuntimeAPIDelegate

    func runtimeParked(_ connection: RuntimeAPIHandler) {
        guard !isDead else { return }
        parked = connection
        if case .starting = state {
            function.workerReady(self, initDuration: .nanoseconds((NIODeadline.now() - startedAt).nanoseconds))
        }
        if case .busy = state { return }  // a second /next while busy: it waits for the next event
        state = .idle
        idleSince = .now()
        function.workerIdle(self)
    }

    func runtimeResponded(requestId: Substring, body: ByteBuffer) -> Bool {
        finishInvocation(requestId, .result(Array(body.readableBytesView)))
    }

    func runtimeFailed(requestId: Substring, body: ByteBuffer, errorType: String?) -> Bool {
        finishInvocation(requestId, .functionError(FunctionError.parse(body.readableBytesView, typeHeader: errorType)))
    }

    func runtimeInitFailed(body: ByteBuffer, errorType: String?) {
        let error = FunctionError.parse(body.readableBytesView, typeHeader: errorType)
        initError = error
        function.logger.error("function failed to initialise",
                              metadata: ["function": "\(function.name)", "errorType": "\(error.type)",
                                         "errorMessage": "\(error.message)"])
    }

    func runtimeResponseTooLarge(requestId: Substring) {
        _ = finishInvocation(requestId, .functionError(FunctionError(type: "Function.ResponseSizeTooLarge",
                                                                     message: "the response exceeds 6 MB")))
    }

    func runtimeConnectionClosed(_ connection: RuntimeAPIHandler) {
        if parked === connection { parked = nil }
    }

    /// Reaps a killed process once the kill has landed (no zombie left behind), looking every 20 ms for 2 s.
    private static func reapSoon(_ process: WorkerProcess, on eventLoop: EventLoop, attempts: Int = 100) {
        guard process.reap() == nil, attempts > 0 else { return }
        eventLoop.scheduleTask(in: .milliseconds(20)) { reapSoon(process, on: eventLoop, attempts: attempts - 1) }
    }
}
