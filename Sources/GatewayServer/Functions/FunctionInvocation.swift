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
    /// The gateway request it answers (`X-Request-Id`, the event's `requestContext.requestId`, log lines).
    let requestId: String
    /// The id the runtime sees (`Lambda-Runtime-Aws-Request-Id`) and must echo to post a result: random, so no
    /// other local process can guess it and answer in the worker's place (a client may choose `X-Request-Id`).
    let invocationId = FunctionInvocation.randomUUID()
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

extension FunctionInvocation {
    /// A random version-4 UUID in its usual text form, as Lambda's request ids are.
    static func randomUUID() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        var text: [UInt8] = []
        for (index, byte) in bytes.enumerated() {
            if [4, 6, 8, 10].contains(index) { text.append(UInt8(ascii: "-")) }
            text.append(ASCIIHex.digit(byte >> 4))
            text.append(ASCIIHex.digit(byte & 0xF))
        }
        return String(decoding: text, as: UTF8.self)
    }
}
