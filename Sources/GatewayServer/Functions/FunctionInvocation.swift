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
    /// Armed while the invocation waits with every worker busy: past it, `throttled`.
    var waitTimer: Scheduled<Void>?

    init(requestId: String, event: [UInt8], completion: @escaping @Sendable (InvocationOutcome) -> Void) {
        self.requestId = requestId
        self.event = event
        self.completion = completion
    }

    var isFinished: Bool { completion == nil }

    func finish(_ outcome: InvocationOutcome) {
        waitTimer?.cancel()
        waitTimer = nil
        guard let completion else { return }
        self.completion = nil
        completion(outcome)
    }
}
