import Dispatch
import Foundation
import GatewayCore
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The edge's side of the pipeline's verdicts that no configured stage uses yet: a stage that suspends on an
/// operation (resumed on the request's own event loop, with body bytes held meanwhile, cancelled by a timeout or
/// a departed client) and headers a stage adds to whatever response the request gets.
@Suite("PipelineShell", .serialized)
struct PipelineShellTests {
    @Test func aSuspendedStageResumesOnTheRequestsOwnEventLoopAndItsHeaderReachesTheAnswer() async throws {
        let probe = SuspensionProbe(completeAfter: .milliseconds(50))
        let gateway = try await Self.start(routes: #"{ "route": "GET /mock", "integration": { "type": "mock", "body": "ok" } }"#,
                                           probe: probe)
        defer { Task { await gateway.stop() } }
        let response = try await onThread { try exchange(port: gateway.port, get("/mock")) }
        #expect(response.status == 200)
        #expect(response.bodyText == "ok")
        #expect(response.header("x-test-operation") == "done")
        let loops = probe.loops
        #expect(loops.suspended != nil)
        #expect(loops.suspended == loops.resumed, "the completion came from another thread; the stage must run again on the request's loop")
        #expect(probe.completedOffLoop, "the operation must complete on a thread that is not the request's loop for this test to mean anything")
    }

    @Test func bodyArrivingWhileSuspendedReachesTheUpstreamWithTheStageHeaderOnTheProxiedResponse() async throws {
        let upstream = try await TestUpstream.start()
        defer { Task { await upstream.stop() } }
        let probe = SuspensionProbe(completeAfter: .milliseconds(300))
        let gateway = try await Self.start(
            routes: #"{ "route": "POST /echo", "integration": { "type": "http", "url": "\#(upstream.url)" } }"#, probe: probe)
        defer { Task { await gateway.stop() } }
        let response = try await onThread {
            let client = try RawClient(port: gateway.port)
            try client.send("POST /echo HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 10\r\n\r\nhello")
            Thread.sleep(forTimeInterval: 0.1)
            try client.send("world")
            return try client.readResponse()
        }
        #expect(response.status == 200)
        #expect(response.header("x-test-operation") == "done")
        let echo = try TestUpstream.parseEcho(response.body)
        #expect(echo.bodyLength == 10, "both parts, held while the stage waited, must reach the upstream")
        #expect(probe.loops.suspended == probe.loops.resumed)
    }

    @Test func anOperationPastTheRouteTimeoutIsCancelledAndAnswered504() async throws {
        let probe = SuspensionProbe(completeAfter: nil)
        let gateway = try await Self.start(
            routes: #"{ "route": "GET /slow", "timeout": "200ms", "integration": { "type": "mock", "body": "late" } }"#,
            probe: probe)
        defer { Task { await gateway.stop() } }
        let response = try await onThread { try exchange(port: gateway.port, get("/slow")) }
        #expect(response.status == 504)
        #expect(response.bodyText.contains(#""code":"INTEGRATION_TIMEOUT""#))
        #expect(probe.cancelled)
    }

    @Test func aClientThatAbortsWhileSuspendedCancelsTheOperation() async throws {
        let probe = SuspensionProbe(completeAfter: nil)
        let gateway = try await Self.start(routes: #"{ "route": "GET /wait", "integration": { "type": "mock", "body": "x" } }"#,
                                           probe: probe)
        defer { Task { await gateway.stop() } }
        try await onThread {
            let client = try RawClient(port: gateway.port)
            try client.send(get("/wait"))
            Thread.sleep(forTimeInterval: 0.1)
            client.abort()
        }
        #expect(await eventually { probe.cancelled })
    }

    @Test func aLateCompletionAfterTheAnswerIsIgnored() async throws {
        // Completes after the route timeout answered: the result must not start the integration for a finished
        // exchange, nor disturb the next request on the same connection.
        let probe = SuspensionProbe(completeAfter: .milliseconds(400))
        let gateway = try await Self.start(
            routes: #"{ "route": "GET /slow", "timeout": "100ms", "integration": { "type": "mock", "body": "late" } }"#,
            probe: probe)
        defer { Task { await gateway.stop() } }
        let statuses = try await onThread {
            let client = try RawClient(port: gateway.port)
            try client.send(get("/slow"))
            let first = try client.readResponse()
            Thread.sleep(forTimeInterval: 0.5)  // the first operation completes meanwhile
            // Routing answers this one before the test stage: exactly a 404, nothing left over from the first.
            try client.send(get("/nothing"))
            let second = try client.readResponse()
            return [first.status, second.status]
        }
        #expect(statuses == [504, 404])
        #expect(probe.completions == 1)
    }

    @Test func aBodyPastTheLimitWhileSuspendedIsRefused413AndCancelsTheOperation() async throws {
        // No declared length, so nothing refuses it up front: the bytes held while the stage waits are bounded by
        // the body limit as they arrive, and the operation is not left running for an exchange that is over.
        let probe = SuspensionProbe(completeAfter: nil)
        let gateway = try await Self.start(
            routes: #"{ "route": "POST /upload", "integration": { "type": "mock", "body": "x" } }"#,
            extra: #""limits": { "maxBodySize": "1KB" }"#, probe: probe)
        defer { Task { await gateway.stop() } }
        let response = try await onThread {
            let client = try RawClient(port: gateway.port)
            let chunk = "200\r\n" + String(repeating: "a", count: 512) + "\r\n"
            try client.send("POST /upload HTTP/1.1\r\nHost: gateway.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                            + String(repeating: chunk, count: 4))
            return try client.readResponse()
        }
        #expect(response.status == 413)
        #expect(response.bodyText.contains(#""code":"REQUEST_TOO_LARGE""#))
        #expect(response.header("connection") == "close")
        #expect(probe.cancelled)
    }

    /// Starts a gateway whose pipeline is the configured one with the probe's stage right after routing.
    private static func start(routes: String, extra: String = "", probe: SuspensionProbe) async throws -> TestGateway {
        try await TestGateway.start(TestGateway.config(routes: routes, extra: extra)) { snapshot in
            var stages = snapshot.pipeline.stages
            let routing = try #require(stages.firstIndex { $0 is RoutingStage })
            stages.insert(SuspendingTestStage(probe: probe), at: routing + 1)
            return RequestPipeline(stages: stages)
        }
    }
}

/// Suspends each request once; on its second run records the loop and adds `x-test-operation: <result>`.
private struct SuspendingTestStage: RequestStage {
    let probe: SuspensionProbe
    var name: String { "test-suspend" }

    func evaluate(_ request: inout RequestContext) -> StageVerdict {
        let loop = MultiThreadedEventLoopGroup.currentEventLoop.map { ObjectIdentifier($0) }
        if let result = request.operationResult {
            request.operationResult = nil
            probe.resumed(on: loop)
            let value = (try? result.get()) as? String ?? "failed"
            request.responseHeaders.append((name: "x-test-operation", value: value))
            return .next
        }
        probe.suspended(on: loop)
        return .suspend(TestOperation(probe: probe))
    }
}

private final class TestOperation: PendingOperation {
    let probe: SuspensionProbe
    init(probe: SuspensionProbe) { self.probe = probe }

    func start(_ completion: @escaping @Sendable (OperationResult) -> Void) {
        guard let delay = probe.completeAfter else { return }
        let probe = self.probe
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(delay.components.attoseconds / 1_000_000_000_000_000))) {
            probe.completing(offLoop: MultiThreadedEventLoopGroup.currentEventLoop == nil)
            completion(.success("done"))
        }
    }

    func cancel() { probe.cancel() }
}

private final class SuspensionProbe: Sendable {
    struct State {
        var suspended: ObjectIdentifier?
        var resumed: ObjectIdentifier?
        var cancelled = false
        var completions = 0
        var completedOffLoop = false
    }
    let completeAfter: Duration?
    private let state = Mutex(State())

    init(completeAfter: Duration?) {
        self.completeAfter = completeAfter
    }

    var loops: (suspended: ObjectIdentifier?, resumed: ObjectIdentifier?) { state.withLock { ($0.suspended, $0.resumed) } }
    var cancelled: Bool { state.withLock { $0.cancelled } }
    var completions: Int { state.withLock { $0.completions } }
    var completedOffLoop: Bool { state.withLock { $0.completedOffLoop } }

    func suspended(on loop: ObjectIdentifier?) { state.withLock { $0.suspended = loop } }
    func resumed(on loop: ObjectIdentifier?) { state.withLock { $0.resumed = loop } }
    func completing(offLoop: Bool) { state.withLock { $0.completions += 1; $0.completedOffLoop = offLoop } }
    func cancel() { state.withLock { $0.cancelled = true } }
}
