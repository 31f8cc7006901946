import Foundation
import StoreTestSupport
import Testing

extension GatewayServerTests {
    /// "Nothing lost": the real `portcullis` binary is killed with SIGKILL while messages are being sent and consumed,
    /// then restarted on the same `state.path`; every message it answered 202 for is processed, and only messages that
    /// were in flight at the kill are processed twice.
    @Suite(.serialized, .enabled(if: AWSPythonRuntime.executable != nil,
                                 "needs python3 with awslambdaric (.ci/run installs it)"))
    struct QueueCrash {
        static let consumer = """
        import os, time

        def handler(event, context):
            with open(os.environ["OUT"], "a") as out:
                for record in event["Records"]:
                    out.write(record["messageId"] + "\\n")
            time.sleep(0.02)
            return {"batchItemFailures": []}
        """

        final class Gateway {
            let process = Process()
            let errors = Binary.Output()

            init(config: String) throws {
                process.executableURL = URL(fileURLWithPath: Binary.executable)
                process.arguments = ["serve", "--config", config, "--threads", "2"]
                let stderr = Pipe(), stdout = Pipe()
                process.standardError = stderr
                process.standardOutput = stdout
                // At end of file a handler would be called again and again: it removes itself.
                stderr.fileHandleForReading.readabilityHandler = { [errors] handle in
                    let data = handle.availableData
                    if data.isEmpty { handle.readabilityHandler = nil } else { errors.append(data) }
                }
                stdout.fileHandleForReading.readabilityHandler = { handle in
                    if handle.availableData.isEmpty { handle.readabilityHandler = nil }
                }
                try process.run()
            }

            func ready() async -> Bool { await eventually(timeout: .seconds(30)) { self.errors.value.contains("portcullis ready") } }

            func kill9() async {
                kill(process.processIdentifier, SIGKILL)
                _ = await eventually(timeout: .seconds(10)) { !self.process.isRunning }
            }

            func stop() async {
                kill(process.processIdentifier, SIGTERM)
                _ = await eventually(timeout: .seconds(15)) { !self.process.isRunning }
            }

            deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        }

        /// Processes working in `directory`: the workers of a gateway run there.
        static func workers(in directory: String) -> [Int32] {
            let resolved = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
            return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
                guard let pid = Int32(entry),
                      let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/cwd"),
                      cwd == directory || cwd == resolved else { return nil }
                return pid
            }
        }

        /// Whatever is left when the test ends (a failed expectation below) is ended here.
        static func killOrphanedWorkers(in directory: String) {
            for pid in workers(in: directory) { kill(pid, SIGKILL) }
        }

        /// Sends on one keep-alive connection until `count` messages were sent or the gateway went away; returns
        /// the ids it answered 202 for.
        static func send(_ count: Int, port: Int, from start: Int) -> [String] {
            var acknowledged: [String] = []
            guard let client = try? RawClient(port: port) else { return [] }
            for n in start..<(start + count) {
                let body = #"{"n": \#(n)}"#
                guard (try? client.send("POST /orders HTTP/1.1\r\nHost: q\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")) != nil,
                      let response = try? client.readResponse(timeout: .seconds(5)), response.status == 202,
                      let json = try? JSONSerialization.jsonObject(with: Data(response.bodyText.utf8)) as? [String: Any],
                      let id = json["messageId"] as? String else { break }
                acknowledged.append(id)
            }
            return acknowledged
        }

        @Test func everyAcceptedMessageIsProcessedAfterAKillNineAndARestart() async throws {
            try await killNineThenRestart { directory in #""state": { "path": "\#(directory)/state" },"# }
        }

        /// Fleet mode: the messages are in Redis, and the restarted process (a new instance, another consumer name)
        /// claims the batches the killed one held once their visibility timeout has passed.
        @Test(.enabled(if: RedisServer.available, "redis-server is not installed (.ci/run installs it)"))
        func everyAcceptedMessageIsProcessedAfterAKillNineAndARestartInFleetMode() async throws {
            let server = try await RedisServer.start()
            defer { server.stop() }
            try await killNineThenRestart { _ in
                #""state": { "store": "redis", "url": "redis://127.0.0.1:\#(server.port)", "keyPrefix": "crash:" },"#
            }
        }

        /// Sends and consumes, kills the gateway with SIGKILL mid-stream, restarts it: every accepted message is
        /// processed, only those in flight at the kill twice. `state` is the config's state section for a folder.
        func killNineThenRestart(state: (String) -> String) async throws {
            try #require(FileManager.default.isExecutableFile(atPath: Binary.executable), "run swift build first")
            let python = try #require(AWSPythonRuntime.executable)
            let directory = try TestGateway.makeTemporaryDirectory()
            defer {
                Self.killOrphanedWorkers(in: directory)
                try? FileManager.default.removeItem(atPath: directory)
            }
            try Self.consumer.write(toFile: directory + "/consumer.py", atomically: true, encoding: .utf8)
            let processed = directory + "/processed.txt"
            let port = try Binary.freePort(), adminPort = try Binary.freePort()
            let configPath = directory + "/gateway.json"
            try #"""
                { "listen": { "http": "127.0.0.1:\#(port)" }, "admin": { "listen": "127.0.0.1:\#(adminPort)" },
                  \#(state(directory))
                  "functions": [ { "name": "consume", "command": ["\#(python)", "-m", "awslambdaric", "consumer.handler"],
                                   "workingDirectory": "\#(directory)", "provisioned": 2, "maxConcurrency": 2,
                                   "timeout": "10s", "environment": { "OUT": "\#(processed)" } } ],
                  "queues": [ { "name": "orders", "visibilityTimeout": "2s",
                                "consumer": { "function": "consume", "batchSize": 5, "maxConcurrency": 2 } } ],
                  "apis": [ { "name": "shop", "routes": [
                    { "route": "POST /orders", "integration": { "type": "queue", "queue": "orders" } } ] } ] }
                """#.write(toFile: configPath, atomically: true, encoding: .utf8)

            let first = try Gateway(config: configPath)
            try #require(await first.ready(), "no ready line: \(first.errors.value)")
            var acknowledged = try await onThread { Self.send(150, port: port, from: 0) }
            #expect(acknowledged.count == 150)
            // Kill it while a sender is mid-stream and the consumer is busy.
            async let more = onThread { Self.send(10_000, port: port, from: 150) }
            try await Task.sleep(for: .milliseconds(150))
            await first.kill9()
            acknowledged += try await more
            let processedBeforeKill = (try? String(contentsOfFile: processed, encoding: .utf8))?.split(separator: "\n").count ?? 0
            #expect(acknowledged.count > 150, "the second sender was acknowledged before the kill")
            // The killed gateway's workers end by themselves: they inherited none of its descriptors, so their
            // Runtime API connection is gone with it and nothing keeps its ports.
            #expect(await eventually(timeout: .seconds(10)) { Self.workers(in: directory).isEmpty },
                    "orphaned workers: \(Self.workers(in: directory))")

            let second = try Gateway(config: configPath)
            try #require(await second.ready(), "no ready line after the restart: \(second.errors.value)")
            let drained = await eventually(timeout: .seconds(60), interval: .milliseconds(100)) {
                let lines = (try? String(contentsOfFile: processed, encoding: .utf8))?.split(separator: "\n") ?? []
                return Set(lines.map(String.init)).isSuperset(of: acknowledged)
            }
            let lines = ((try? String(contentsOfFile: processed, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            #expect(drained, "\(Set(acknowledged).subtracting(lines).count) of \(acknowledged.count) accepted messages never processed")
            var seen: [String: Int] = [:]
            for id in lines { seen[id, default: 0] += 1 }
            let twice = seen.values.filter { $0 > 1 }.count
            // At most the batches in flight at the kill (maxConcurrency 2 × batchSize 5) are processed again.
            #expect(twice <= 10, "\(twice) messages processed more than once")
            #expect(processedBeforeKill < acknowledged.count, "the kill came before the consumer had caught up")
            await second.stop()
        }
    }
}
