import GatewayCore
import NIOCore
import Synchronization
import Testing

/// The names of the stages that ran, in order (stages are `Sendable`, so the log is shared behind a lock).
final class StageLog: Sendable {
    private let entries = Mutex<[String]>([])

    func record(_ name: String) { entries.withLock { $0.append(name) } }
    var names: [String] { entries.withLock { $0 } }
    func clear() { entries.withLock { $0.removeAll() } }
}

/// A real stage that logs each time it runs: wrapping a snapshot's list shows which stages a request reached.
struct TracedStage: RequestStage {
    let inner: any RequestStage
    let log: StageLog

    var name: String { inner.name }

    func evaluate(_ request: inout RequestContext) -> StageVerdict {
        log.record(inner.name)
        return inner.evaluate(&request)
    }
}

extension RequestPipeline {
    /// The same stages, each logging to `log` when it runs.
    func traced(_ log: StageLog) -> RequestPipeline {
        RequestPipeline(stages: stages.map { TracedStage(inner: $0, log: log) })
    }
}

/// Work a stage waits for; it completes at once with `value` when started.
final class FakeOperation: PendingOperation, Sendable {
    let value: Int
    private let cancelled = Mutex(false)

    init(value: Int) { self.value = value }

    func start(_ completion: @escaping @Sendable (OperationResult) -> Void) { completion(.success(value)) }
    func cancel() { cancelled.withLock { $0 = true } }
    var wasCancelled: Bool { cancelled.withLock { $0 } }
}

/// Where a started operation's completion puts its result, for the test to hand back in `operationResult`.
final class ResultBox: Sendable {
    private let stored = Mutex<OperationResult?>(nil)
    func set(_ result: OperationResult) { stored.withLock { $0 = result } }
    var result: OperationResult? { stored.withLock { $0 } }
}

struct FakeOperationError: Error, CustomStringConvertible {
    var description: String { "store unavailable" }
}

/// A test stage with a fixed behaviour that logs each run.
struct RecordingStage: RequestStage {
    enum Behaviour: Sendable {
        /// `.next`.
        case pass
        /// `.respond` with this status (the body is the stage's name).
        case answer(Int)
        /// `.readBody(limit:)` until `RequestContext.body` is set, then `.next`.
        case needBody(limit: Int)
        /// `.suspend(operation)` until `operationResult` is set; then clears it, adds `x-operation: VALUE` to the
        /// response headers and goes on (a failure answers 503).
        case await(FakeOperation)
    }

    let name: String
    let behaviour: Behaviour
    let log: StageLog

    func evaluate(_ request: inout RequestContext) -> StageVerdict {
        log.record(name)
        switch behaviour {
        case .pass:
            return .next
        case .answer(let status):
            return .respond(GatewayAnswer(status: status, body: Array(name.utf8)))
        case .needBody(let limit):
            return request.body == nil ? .readBody(limit: limit) : .next
        case .await(let operation):
            guard let result = request.operationResult else { return .suspend(operation) }
            request.operationResult = nil
            switch result {
            case .success(let value):
                request.responseHeaders.append((name: "x-operation", value: "\(value)"))
                return .next
            case .failure(let error):
                return .respond(GatewayAnswer(status: 503, body: Array("\(error)".utf8)))
            }
        }
    }
}

/// Stands in for the route's integration: records the route of each request the edge hands it.
final class FakeIntegration {
    private(set) var invoked: [String] = []

    func invoke(_ request: RequestContext) {
        invoked.append(request.route?.keyText ?? "(unrouted)")
    }
}

/// Drives a pipeline as the edge does: runs it, reads the body when a stage asks (within its limit) and resumes
/// at that stage, and hands `.integrate` to the integration. Returns the gateway's own answer, or nil when the
/// integration answered.
struct FakeEdge {
    let pipeline: RequestPipeline
    let integration = FakeIntegration()

    func serve(_ request: inout RequestContext, body: String? = nil,
               sourceLocation: SourceLocation = #_sourceLocation) -> GatewayAnswer? {
        var start = 0
        for _ in 0..<pipeline.stages.count + 1 {
            switch pipeline.run(&request, from: start) {
            case .integrate:
                integration.invoke(request)
                return nil
            case .respond(let answer):
                return answer
            case .readBody(let limit, let resumeAt):
                let bytes = body ?? ""
                guard bytes.utf8.count <= limit, request.body == nil else {
                    Issue.record("the body was over its limit or asked for twice", sourceLocation: sourceLocation)
                    return nil
                }
                request.body = ByteBuffer(string: bytes)
                start = resumeAt
            case .suspend:
                Issue.record("no stage of the default list suspends", sourceLocation: sourceLocation)
                return nil
            }
        }
        Issue.record("the pipeline did not finish", sourceLocation: sourceLocation)
        return nil
    }
}
