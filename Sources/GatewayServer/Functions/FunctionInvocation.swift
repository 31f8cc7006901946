import CoreMetrics
import GatewayCore
import NIOCore

/// How one invocation of a hosted function ended.
enum InvocationOutcome: Sendable {
    /// The runtime posted a result (the bytes as posted).
    case result([UInt8])
    /// The handler raised, the runtime crashed or could not start.
    case functionError(FunctionError)
    /// Past the function's timeout: its worker was killed.
    case timedOut
    /// Every worker stayed busy for the whole wait.
    case throttled
    /// No worker could be run (the function is stopping, or its command cannot start).
    case unavailable(String)
}

/// One request for a function, from the moment it is queued until its outcome is delivered (exactly once).
final class FunctionInvocation {
    let requestId: String
    let event: [UInt8]
    private var completion: (@Sendable (InvocationOutcome) -> Void)?
    private let metrics: FunctionMetrics?
    /// Armed while the invocation waits with every worker busy: past it, `throttled`.
    var waitTimer: Scheduled<Void>?
    /// When a worker took it (its Duration counts from here).
    private var dispatchedAt: NIODeadline?

    init(requestId: String, event: [UInt8], metrics: FunctionMetrics?,
         completion: @escaping @Sendable (InvocationOutcome) -> Void) {
        self.requestId = requestId
        self.event = event
        self.metrics = metrics
        self.completion = completion
    }

    var isFinished: Bool { completion == nil }

    func dispatched() {
        dispatchedAt = .now()
        metrics?.concurrentExecutions.increment(by: 1)
    }

    func finish(_ outcome: InvocationOutcome) {
        waitTimer?.cancel()
        waitTimer = nil
        guard let completion else { return }
        self.completion = nil
        if let metrics {
            if let dispatchedAt {
                metrics.concurrentExecutions.decrement(by: 1)
                metrics.durations.recordNanoseconds((NIODeadline.now() - dispatchedAt).nanoseconds)
            }
            switch outcome {
            case .result: metrics.invocations.increment()
            case .functionError, .timedOut:
                metrics.invocations.increment()
                metrics.errors.increment()
            case .throttled: metrics.throttles.increment()
            case .unavailable: metrics.errors.increment()
            }
        }
        completion(outcome)
    }
}
