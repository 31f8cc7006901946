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
    }
}
