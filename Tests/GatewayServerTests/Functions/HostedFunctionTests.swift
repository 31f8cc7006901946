import Foundation
import GatewayCore
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import GatewayServer

/// Log records kept in memory, to check what a worker's output became.
final class LogCapture: Sendable {
    let records = Mutex<[(message: String, metadata: Logger.Metadata)]>([])

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
                 file: String, function: String, line: UInt) {
            capture.records.withLock { $0.append((message.description, metadata ?? [:])) }
        }
    }

    var logger: Logger { Logger(label: "capture") { _ in Handler(capture: self) } }
}

/// Hosted functions with real worker processes: the stdlib-only runtime of `examples/functions/stdlib` running a
/// test handler, over the Runtime API on loopback.
/// The python3 the function tests run workers with (nil: those tests are skipped, with this as the reason).
enum TestPython {
    static let executable = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
}

@Suite(.serialized, .enabled(if: TestPython.executable != nil, "needs python3 (/usr/bin/python3 or /usr/local/bin/python3)"))
struct HostedFunctionTests {
    static let python = TestPython.executable
    static let bootstrap = GatewayServerTests.Binary.packageRoot.appendingPathComponent("examples/functions/stdlib/bootstrap.py").path

    static let handler = """
    import json, os, sys, time

    def handler(event, context):
        op = event.get("op")
        if op == "env":
            return {"keys": sorted(os.environ.keys()), "greeting": os.environ.get("GREETING"), "cwd": os.getcwd()}
        if op == "sleep":
            time.sleep(event["seconds"])
            return {"slept": event["seconds"], "pid": os.getpid()}
        if op == "alloc":
            block = bytearray(event["mb"] * 1024 * 1024)
            return {"allocated": len(block)}
        if op == "big":
            return {"big": "x" * (7 * 1024 * 1024)}
        if op == "shout":
            sys.stdout.write("y" * (100 * 1024) + "\\n")
            sys.stdout.flush()
            return {"shouted": True}
        if op == "crash":
            os._exit(3)
        if op == "raise":
            raise ValueError("boom from handler")
        print("handled " + context.aws_request_id, flush=True)
        return {"echo": event, "pid": os.getpid()}
    """

    /// A function over a fresh folder holding `app.py` (or `module` when given, to break the import).
    func withFunction(provisioned: Int = 1, maxConcurrency: Int = 2, timeout: Duration = .seconds(10),
                      idleTimeout: Duration = .seconds(300), handlerModule: String = "app", memoryMB: Int? = nil,
                      maxWait: TimeAmount = .seconds(1), logs: LogCapture? = nil,
                      _ body: (HostedFunction, EventLoopFuture<Void>) async throws -> Void) async throws {
        let python = try #require(Self.python)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-fn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.handler.write(to: folder.appendingPathComponent("app.py"), atomically: true, encoding: .utf8)
        let settings = HostedFunctionSettings(command: [python, Self.bootstrap, "\(handlerModule).handler"],
                                              workingDirectory: folder.path, environment: [("GREETING", "hi")],
                                              provisioned: provisioned, maxConcurrency: maxConcurrency,
                                              idleTimeout: idleTimeout, memoryMB: memoryMB)
        let definition = FunctionDefinition(name: "test-fn", payloadFormat: .v2, timeout: timeout, backend: .hosted(settings))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var logger = logs?.logger ?? Logger(label: "test")
        if logs == nil { logger.logLevel = .critical }
        let function = HostedFunction(definition: definition, settings: settings, eventLoop: group.next(), logger: logger,
                                      maxWait: maxWait)
        let ready = function.start(readyWithin: .seconds(10))
        do {
            try await body(function, ready)
        } catch {
            try? await function.stop(grace: .milliseconds(100)).get()
            try? await group.shutdownGracefully()
            throw error
        }
        try await function.stop(grace: .milliseconds(100)).get()
        try await group.shutdownGracefully()
    }

    func invoke(_ function: HostedFunction, _ event: String, id: String = UUID().uuidString) async -> InvocationOutcome {
        await withCheckedContinuation { continuation in
            function.invoke(requestId: id, event: Array(event.utf8)) { continuation.resume(returning: $0) }
        }
    }

    func json(_ outcome: InvocationOutcome) throws -> [String: Any] {
        guard case .result(let bytes) = outcome else {
            Issue.record("expected a result, got \(outcome)")
            return [:]
        }
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    func census(_ function: HostedFunction) async throws -> (starting: Int, idle: Int, busy: Int) {
        try await function.eventLoop.submit { function.census }.get()
    }

    @Test func aProvisionedWorkerIsWarmAndAnswers() async throws {
        try await withFunction { function, ready in
            try await ready.get()
            #expect(try await census(function) == (0, 1, 0))
            let first = try json(await invoke(function, #"{"op": "echo", "n": 1}"#))
            #expect((first["echo"] as? [String: Any])?["n"] as? Int == 1)
            let second = try json(await invoke(function, #"{"op": "echo", "n": 2}"#))
            #expect(second["pid"] as? Int == first["pid"] as? Int)  // warm: the same process
        }
    }

    @Test func theWorkerSeesOnlyItsOwnEnvironment() async throws {
        setenv("PORTCULLIS_TEST_SECRET", "do-not-leak", 1)
        defer { unsetenv("PORTCULLIS_TEST_SECRET") }
        try await withFunction { function, ready in
            try await ready.get()
            let env = try json(await invoke(function, #"{"op": "env"}"#))
            let keys = try #require(env["keys"] as? [String])
            #expect(!keys.contains("PORTCULLIS_TEST_SECRET") && !keys.contains("HOME"))
            #expect(keys.contains("AWS_LAMBDA_RUNTIME_API") && keys.contains("AWS_LAMBDA_FUNCTION_NAME"))
            #expect(env["greeting"] as? String == "hi")
            #expect((env["cwd"] as? String)?.contains("portcullis-fn-") == true)
        }
    }

    @Test func aHandlerErrorIsAFunctionErrorAndTheWorkerStays() async throws {
        try await withFunction { function, ready in
            try await ready.get()
            guard case .functionError(let error) = await invoke(function, #"{"op": "raise"}"#) else {
                Issue.record("expected a function error")
                return
            }
            #expect(error == FunctionError(type: "ValueError", message: "boom from handler"))
            #expect(try json(await invoke(function, #"{"op": "echo"}"#))["pid"] != nil)
        }
    }

    @Test func aTimedOutInvocationKillsItsWorkerWhichIsReplaced() async throws {
        try await withFunction(timeout: .milliseconds(500)) { function, ready in
            try await ready.get()
            let before = try json(await invoke(function, #"{"op": "echo"}"#))["pid"] as? Int
            let started = ContinuousClock.now
            guard case .timedOut = await invoke(function, #"{"op": "sleep", "seconds": 5}"#) else {
                Issue.record("expected a timeout")
                return
            }
            #expect(ContinuousClock.now - started < .seconds(3))
            let after = try json(await invoke(function, #"{"op": "echo"}"#))["pid"] as? Int
            #expect(after != nil && after != before)
            // The old process is gone, reaped (no zombie left).
            if let before {
                var gone = false
                for _ in 0..<100 where !gone {
                    gone = kill(pid_t(before), 0) != 0
                    if !gone { try await Task.sleep(for: .milliseconds(10)) }
                }
                #expect(gone)
            }
        }
    }

    @Test func aCrashFailsItsInvocationAndTheWorkerIsReplaced() async throws {
        try await withFunction { function, ready in
            try await ready.get()
            guard case .functionError(let error) = await invoke(function, #"{"op": "crash"}"#) else {
                Issue.record("expected a function error")
                return
            }
            #expect(error.type == "Runtime.ExitError" && error.message.contains("exit status 3"))
            #expect(try json(await invoke(function, #"{"op": "echo"}"#))["pid"] != nil)
        }
    }

    @Test func pastMaxConcurrencyAnInvocationWaitsThenIsThrottled() async throws {
        try await withFunction(provisioned: 1, maxConcurrency: 1, maxWait: .milliseconds(300)) { function, ready in
            try await ready.get()
            async let slow = invoke(function, #"{"op": "sleep", "seconds": 1}"#)
            try await Task.sleep(for: .milliseconds(100))
            let started = ContinuousClock.now
            guard case .throttled = await invoke(function, #"{"op": "echo"}"#) else {
                Issue.record("expected throttling")
                return
            }
            #expect(ContinuousClock.now - started >= .milliseconds(250))
            #expect(try json(await slow)["slept"] as? Int == 1)
        }
    }

    @Test func onDemandWorkersStartUpToMaxConcurrencyAndIdleOnesStop() async throws {
        try await withFunction(provisioned: 0, maxConcurrency: 2, idleTimeout: .milliseconds(300)) { function, ready in
            try await ready.get()
            #expect(try await census(function) == (0, 0, 0))
            async let a = invoke(function, #"{"op": "sleep", "seconds": 0.3}"#)
            async let b = invoke(function, #"{"op": "sleep", "seconds": 0.3}"#)
            let (first, second) = try await (json(a), json(b))
            #expect(first["pid"] as? Int != second["pid"] as? Int)  // two cold starts, side by side
            // Both park in /next again right after posting their results.
            var idle = 0
            for _ in 0..<50 where idle < 2 {
                idle = try await census(function).idle
                if idle < 2 { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(idle == 2)
            try await Task.sleep(for: .milliseconds(1500))
            #expect(try await census(function) == (0, 0, 0))
        }
    }

    @Test func memoryIsAnAddressSpaceLimit() async throws {
        try await withFunction(memoryMB: 128) { function, ready in
            try await ready.get()
            #expect(try json(await invoke(function, #"{"op": "alloc", "mb": 16}"#))["allocated"] as? Int == 16 << 20)
            guard case .functionError(let error) = await invoke(function, #"{"op": "alloc", "mb": 256}"#) else {
                Issue.record("expected the allocation to fail")
                return
            }
            #expect(error.type == "MemoryError")
        }
    }

    @Test func aResultOverSixMegabytesFailsItsInvocation() async throws {
        try await withFunction { function, ready in
            try await ready.get()
            guard case .functionError(let error) = await invoke(function, #"{"op": "big"}"#) else {
                Issue.record("expected the result to be refused")
                return
            }
            #expect(error.type == "Function.ResponseSizeTooLarge")
            #expect(try json(await invoke(function, #"{"op": "echo"}"#))["pid"] != nil)
        }
    }

    @Test func outputLinesAreLoggedWithTheRequestIdAndCutAt16KB() async throws {
        let logs = LogCapture()
        try await withFunction(logs: logs) { function, ready in
            try await ready.get()
            #expect(try json(await invoke(function, #"{"op": "shout"}"#, id: "shout-1"))["shouted"] as? Bool == true)
            #expect(try json(await invoke(function, #"{"op": "echo"}"#, id: "echo-1"))["pid"] != nil)
            try await Task.sleep(for: .milliseconds(100))
            let output = logs.records.withLock { $0.filter { $0.metadata["stream"] != nil } }
            let shouted = output.filter { $0.message.hasPrefix("yyyy") }
            #expect(shouted.count == 7 && shouted.allSatisfy { $0.message.utf8.count <= WorkerOutputHandler.maxLineBytes })
            #expect(shouted.reduce(0) { $0 + $1.message.utf8.count } == 100 * 1024)
            #expect(shouted.allSatisfy { $0.metadata["requestId"] == "shout-1" && $0.metadata["function"] == "test-fn" })
            // The runtime saw a random invocation id, not the (client-chosen) request id its lines are tagged with.
            let handled = try #require(output.first { $0.message.hasPrefix("handled ") })
            let invocationId = handled.message.dropFirst("handled ".count)
            #expect(handled.metadata["requestId"] == "echo-1" && invocationId != "echo-1")
            #expect(invocationId.count == 36 && invocationId.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
        }
    }

    @Test func stoppingLetsAnInvocationInProgressFinish() async throws {
        try await withFunction { function, ready in
            try await ready.get()
            async let slow = invoke(function, #"{"op": "sleep", "seconds": 0.5}"#)
            try await Task.sleep(for: .milliseconds(100))
            let stopped = function.stop(grace: .seconds(5))
            #expect(try json(await slow)["slept"] as? Double == 0.5)
            try await stopped.get()
            #expect(try await census(function) == (0, 0, 0))
            guard case .unavailable = await invoke(function, #"{"op": "echo"}"#) else {
                Issue.record("a stopped function took an invocation")
                return
            }
        }
    }

    @Test func aCommandThatCannotStartFailsTheStartAtOnce() async throws {
        let settings = HostedFunctionSettings(command: ["/nonexistent/runtime"], workingDirectory: nil, environment: [],
                                              provisioned: 1, maxConcurrency: 1, idleTimeout: .seconds(60), memoryMB: nil)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let function = HostedFunction(definition: FunctionDefinition(name: "broken", payloadFormat: .v2, timeout: .seconds(5),
                                                                     backend: .hosted(settings)),
                                      settings: settings, eventLoop: group.next(), logger: logger)
        let started = ContinuousClock.now
        await #expect(throws: HostedFunction.FunctionStartError.self) { try await function.start(readyWithin: .seconds(10)).get() }
        #expect(ContinuousClock.now - started < .seconds(2))
        try await function.stop(grace: .milliseconds(10)).get()
        try await group.shutdownGracefully()
    }

    @Test func anInitErrorFailsTheStartAndTheInvocation() async throws {
        try await withFunction(provisioned: 0, handlerModule: "missing_module") { function, ready in
            try await ready.get()
            guard case .functionError(let error) = await invoke(function, #"{"op": "echo"}"#) else {
                Issue.record("expected the init error")
                return
            }
            #expect(error.type == "Runtime.ImportModuleError")
        }
    }
}
