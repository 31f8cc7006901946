import Foundation
import Synchronization
import Testing

extension GatewayServerTests {
    /// The real `portcullis` executable (built by `swift build`), run as a child process.
    @Suite struct Binary {
        static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        static let executable = packageRoot.appendingPathComponent(".build/debug/portcullis").path

        final class Output: Sendable {
            let text = Mutex("")
            func append(_ data: Data) { text.withLock { $0 += String(decoding: data, as: UTF8.self) } }
            var value: String { text.withLock { $0 } }
        }

        static func freePort() throws -> Int { try unusedLoopbackPort() }

        @Test func serveAnswersThenDrainsOnSIGTERMWithExitZero() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "run swift build first: \(Self.executable)")
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let port = try Self.freePort()
            let adminPort = try Self.freePort()
            let configPath = directory + "/gateway.json"
            try #"""
                { "listen": { "http": "127.0.0.1:\#(port)" }, "admin": { "listen": "127.0.0.1:\#(adminPort)" },
                  "apis": [ { "name": "bin", "routes": [
                    { "route": "GET /ping", "integration": { "type": "mock", "status": 200, "body": "from the binary" } } ] } ] }
                """#.write(toFile: configPath, atomically: true, encoding: .utf8)

            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.executable)
            process.arguments = ["serve", "--config", configPath, "--threads", "1"]
            let stderr = Pipe()
            let stdout = Pipe()
            process.standardError = stderr
            process.standardOutput = stdout
            let errors = Output()
            stderr.fileHandleForReading.readabilityHandler = { errors.append($0.availableData) }
            stdout.fileHandleForReading.readabilityHandler = { _ = $0.availableData }
            try process.run()
            defer { if process.isRunning { process.interrupt(); kill(process.processIdentifier, SIGKILL) } }

            let ready = await eventually(timeout: .seconds(20)) { errors.value.contains("portcullis ready") }
            try #require(ready, "no ready line; stderr: \(errors.value)")
            let response = try exchange(port: port, get("/ping"))
            #expect(response.status == 200)
            #expect(response.bodyText == "from the binary")
            #expect(try exchange(port: adminPort, get("/healthz")).status == 200)

            kill(process.processIdentifier, SIGTERM)
            let exited = await eventually(timeout: .seconds(15)) { !process.isRunning }
            try #require(exited, "still running 15 s after SIGTERM; stderr: \(errors.value)")
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus == 0, "stderr: \(errors.value)")
            stderr.fileHandleForReading.readabilityHandler = nil
            stdout.fileHandleForReading.readabilityHandler = nil
        }

        @Test func checkPrintsPointerDiagnosticsAndExitsOne() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "run swift build first: \(Self.executable)")
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let configPath = directory + "/bad.json"
            try #"""
                { "listen": { "http": "127.0.0.1:8080" }, "bogus": true,
                  "apis": [ { "name": "a", "routes": [ { "route": "GET /x", "integration": { "type": "mock" }, "timeout": "2h" } ] } ] }
                """#.write(toFile: configPath, atomically: true, encoding: .utf8)
            let (status, output) = try await onThread { () throws -> (Int32, String) in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: Self.executable)
                process.arguments = ["check", configPath]
                let pipe = Pipe()
                process.standardOutput = pipe
                process.standardError = pipe
                try process.run()
                let data = pipe.fileHandleForReading.readDataToEndOfFile()  // ends when the process exits
                process.waitUntilExit()
                return (process.terminationStatus, String(decoding: data, as: UTF8.self))
            }
            #expect(status == 1, "output: \(output)")
            let lines = output.split(separator: "\n").map(String.init)
            #expect(lines.contains { $0.hasPrefix("\(configPath): /bogus: ") }, "\(output)")
            #expect(lines.contains { $0.hasPrefix("\(configPath): /apis/0/routes/0/timeout: ") }, "\(output)")
            let diagnostic = /^.+: \/[^ ]*: .+$/
            #expect(lines.allSatisfy { $0.wholeMatch(of: diagnostic) != nil }, "\(output)")

            // A good config checks clean with exit 0.
            let goodPath = directory + "/good.json"
            try #"{ "listen": { "http": "127.0.0.1:8080" }, "apis": [] }"#.write(toFile: goodPath, atomically: true, encoding: .utf8)
            let goodStatus = try await onThread { () throws -> Int32 in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: Self.executable)
                process.arguments = ["check", goodPath]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                process.waitUntilExit()
                return process.terminationStatus
            }
            #expect(goodStatus == 0)
        }
    }
}
