import Crypto
import Foundation
import Testing

extension GatewayServerTests {
    /// `portcullis keys new` and `portcullis loadtest`, run as the real executable.
    @Suite struct LimitCommands {
        static var executable: String { Binary.executable }

        @Test func keysNewPrintsOneJSONLineWithAFreshKeyAndItsDigest() throws {
            try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "run swift build first")
            let named = try ExternalTool.run(Self.executable, ["keys", "new", "--name", "acme \"ci\""])
            #expect(named.status == 0)
            let lines = named.stdout.split(separator: "\n")
            #expect(lines.count == 1)
            let json = try JSON.parse(String(lines[0]))
            #expect(json.object.map { Set($0.keys) } == ["name", "value", "sha256"])
            #expect(json["name"]?.string == "acme \"ci\"")
            let value = try #require(json["value"]?.string)
            #expect(value.count >= 40 && value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
            let digest = SHA256.hash(data: Data(value.utf8)).map { String(format: "%02x", $0) }.joined()
            #expect(json["sha256"]?.string == digest)
            let unnamed = try JSON.parse(try ExternalTool.run(Self.executable, ["keys", "new"]).stdout)
            #expect(unnamed["name"]?.string == "key-" + (unnamed["sha256"]?.string?.prefix(8) ?? ""))
            #expect(unnamed["value"]?.string != value)
        }

        @Test func loadtestReportsAsJSONAgainstARunningGateway() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "run swift build first")
            let gateway = try await TestGateway.start(TestGateway.config(routes: #"""
                { "route": "GET /limited", "integration": { "type": "mock", "status": 200, "body": "ok" },
                  "throttle": { "rate": 40, "burst": 10 } }
                """#))
            defer { Task { await gateway.stop() } }
            let url = "http://127.0.0.1:\(gateway.port)/limited"
            let run = try ExternalTool.run(Self.executable, ["loadtest", "--rate", "200", "--duration", "1s",
                                                             "--connections", "4", "--json", "--expect-rate", "40",
                                                             "--expect-burst", "10", url], timeout: 30)
            #expect(run.status == 0, "\(run.stderr)")
            let report = try JSON.parse(run.stdout)
            #expect(report["durationSeconds"]?.int == 1 && report["requests"]?.int == 200 && report["errors"]?.int == 0)
            // 200/s for 1 s into 40/s with a burst of 10: the last request is due at 0.995 s.
            #expect(report["expectedAdmitted"]?.int == 10 + 39)
            let admitted = try #require(report["admitted"]?.int)
            #expect(abs(admitted - 49) <= 2)
            #expect(report["status"]?["200"]?.int == admitted && report["status"]?["429"]?.int == 200 - admitted)
            for field in ["p50", "p90", "p99", "max"] { #expect(report["latencyMs"]?[field] != nil) }
            #expect(report["errorPercent"] != nil)
            // Not a terminal: progress goes to stderr as plain lines, never into the JSON on stdout.
            #expect(!run.stdout.contains("sent "))
        }

        @Test func loadtestExpectFromReadsTheGatewayConfig() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "run swift build first")
            let gateway = try await TestGateway.start(TestGateway.config(routes: #"""
                { "route": "GET /limited", "integration": { "type": "mock", "status": 200, "body": "ok" },
                  "throttle": { "rate": 40, "burst": 10 } }
                """#, extra: #""throttle": { "rate": 30, "burst": 100 }"#))
            defer { Task { await gateway.stop() } }
            let url = "http://127.0.0.1:\(gateway.port)/limited"
            let run = try ExternalTool.run(Self.executable, ["loadtest", "--rate", "200", "--duration", "1s",
                                                             "--expect-from", gateway.configPath, url], timeout: 30)
            #expect(run.status == 0, "\(run.stderr)")
            // The route's bucket (10 + 39) binds before the gateway's (100 + 29).
            #expect(run.stdout.contains("expected admitted 49 ("))
            #expect(run.stdout.contains("gateway 30/s, burst 100, route 40/s, burst 10"))
            #expect(run.stdout.contains("status") && run.stdout.contains("second"))
            let bad = try ExternalTool.run(Self.executable, ["loadtest", "--rate", "10", "--duration", "1s",
                                                             "--expect-from", gateway.directory + "/missing.json", url])
            #expect(bad.status != 0 && bad.stderr.contains("--expect-from"))
        }
    
        /// Starts the real gateway on `configPath`; returns it once it logged its ready line.
        func startGateway(_ configPath: String, output: Binary.Output) async throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.executable)
            process.arguments = ["serve", "--config", configPath, "--threads", "2"]
            let stderr = Pipe()
            process.standardError = stderr
            process.standardOutput = FileHandle.nullDevice
            stderr.fileHandleForReading.readabilityHandler = { output.append($0.availableData) }
            try process.run()
            let ready = await eventually(timeout: .seconds(20)) { output.value.contains("portcullis ready") }
            try #require(ready, "no ready line; stderr: \(output.value)")
            return process
        }

        /// Counted requests survive `kill -9`: the writer commits every 500 ms, so a second after the last request
        /// the count is on disk, and the file is intact for the next start.
        @Test func aQuotaSurvivesKillDashNine() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "run swift build first")
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let port = try Binary.freePort(), adminPort = try Binary.freePort()
            let key = "kill-test-key-0123456789abcdef"
            let configPath = directory + "/gateway.json"
            try #"""
                { "listen": { "http": "127.0.0.1:\#(port)" }, "admin": { "listen": "127.0.0.1:\#(adminPort)" },
                  "state": { "path": "state" },
                  "apis": [ { "name": "a", "routes": [ { "route": "GET /x", "integration": { "type": "mock" },
                                                         "apiKeyRequired": true } ] } ],
                  "usagePlans": [ { "name": "p", "apis": ["a"], "quota": { "limit": 100, "period": "DAY" } } ],
                  "apiKeys": [ { "name": "k", "value": "\#(key)", "plan": "p" } ] }
                """#.write(toFile: configPath, atomically: true, encoding: .utf8)
            let first = try await startGateway(configPath, output: Binary.Output())
            defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
            for _ in 0..<7 { #expect(try exchange(port: port, get("/x", headers: ["x-api-key: \(key)"])).status == 200) }
            try await Task.sleep(for: .milliseconds(1200))
            kill(first.processIdentifier, SIGKILL)
            let died = await eventually(timeout: .seconds(10)) { !first.isRunning }
            try #require(died)
            #expect(first.terminationReason == .uncaughtSignal)

            let output = Binary.Output()
            let second = try await startGateway(configPath, output: output)
            defer { kill(second.processIdentifier, SIGKILL) }
            let usage = try JSON.parse(try exchange(port: adminPort, get("/usage/k")).body)
            #expect(usage["quota"]?["used"]?.int == 7, "\(usage)")
            #expect(output.value.contains("counters restored"))
            #expect(!output.value.contains("unreadable"))
        }
    }
}
