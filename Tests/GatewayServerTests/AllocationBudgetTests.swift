import Foundation
import Synchronization
import Testing

extension GatewayServerTests {
    /// Heap allocations per request on the two hottest paths, counted exactly in the real `portcullis` binary by a
    /// preloaded malloc counter (`Benchmarks/alloc/malloc-count.c`), as SwiftNIO's allocation-counter tests guard
    /// its own: a change that adds allocations to every request fails here, not in a benchmark weeks later.
    @Suite(.serialized) struct AllocationBudget {
        /// The counts measured on this code plus a small margin. `Binary.executable` is the debug build, which
        /// also allocates for unspecialised generics; every allocation the source adds shows there too. (Release
        /// counts, about a fifth of these, are reported by `Benchmarks/alloc/count.sh`.) Lower them when the code
        /// allocates less.
        // Proxied: the bound of the request head written through `HeadBytesWriter` reads the client's fields once
        // more, which allocates twice in a debug build and never in release (`Benchmarks/alloc/count.sh`).
        static let proxiedBudget = 55.3  // measured 54.45 (2026-12-07); one more per request measured ~55.45
        static let mockBudget = 23.0  // measured 22.19; one more per request measured 23.17
        static let requests = 2000

        static let source = Binary.packageRoot.appendingPathComponent("Benchmarks/alloc/malloc-count.c").path
        static let compiler = CCompiler.find()

        @Test(.enabled(if: compiler != nil, "no C compiler (cc, clang or gcc) on PATH to build the malloc counter"))
        func proxiedAndMockRequestsStayWithinTheirAllocationBudgets() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: Binary.executable),
                         "run swift build first: \(Binary.executable)")
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let counter = directory + "/malloc-count.so"
            let build = try ExternalTool.run(try #require(Self.compiler),
                                             ["-O2", "-shared", "-fPIC", "-o", counter, Self.source, "-ldl"])
            try #require(build.status == 0, "building the malloc counter failed: \(build.stderr)")

            let upstream = try await TestUpstream.start()
            defer { Task { await upstream.stop() } }
            let port = try Binary.freePort()
            let configPath = directory + "/gateway.json"
            try #"""
                { "listen": { "http": "127.0.0.1:\#(port)" },
                  "apis": [ { "name": "alloc", "routes": [
                    { "route": "GET /bytes/{n}", "integration": { "type": "http", "url": "http://127.0.0.1:\#(upstream.port)" } },
                    { "route": "GET /mock", "integration": { "type": "mock", "status": 200, "body": "ok\n" } } ] } ] }
                """#.write(toFile: configPath, atomically: true, encoding: .utf8)

            let gateway = try CountedGateway(executable: Binary.executable, counter: counter, config: configPath)
            defer { gateway.stop() }
            let ready = await eventually(timeout: .seconds(20)) { gateway.stderr.value.contains("portcullis ready") }
            try #require(ready, "no ready line; stderr: \(gateway.stderr.value)")

            let proxied = try await gateway.allocationsPerRequest(port: port, path: "/bytes/100", requests: Self.requests)
            let mock = try await gateway.allocationsPerRequest(port: port, path: "/mock", requests: Self.requests)
            print("allocations per request: proxied \(proxied), mock \(mock)")
            #expect(proxied <= Self.proxiedBudget, "a proxied request allocates \(proxied) times (budget \(Self.proxiedBudget))")
            #expect(mock <= Self.mockBudget, "a mock request allocates \(mock) times (budget \(Self.mockBudget))")
            // A counter that counts nothing would pass any budget: every request allocates something.
            #expect(proxied >= 1 && mock >= 1, "the counter saw no allocations (proxied \(proxied), mock \(mock))")
        }
    }

    /// The gateway binary started with the malloc counter preloaded; SIGUSR2 makes it print `allocations=N`.
    final class CountedGateway: Sendable {
        let process: Process
        let stderr = Binary.Output()

        init(executable: String, counter: String, config: String) throws {
            process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["serve", "--config", config, "--threads", "1"]
            var environment = ProcessInfo.processInfo.environment
            environment["LD_PRELOAD"] = counter
            process.environment = environment
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            let output = stderr
            errors.fileHandleForReading.readabilityHandler = { output.append($0.availableData) }
            try process.run()
        }

        func stop() {
            guard process.isRunning else { return }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        /// Allocations per request over `requests` keep-alive requests on one connection, after a warm-up. Each
        /// request waits for its response, so none is in flight when the counter is read. Blocking I/O, on a thread.
        func allocationsPerRequest(port: Int, path: String, requests: Int) async throws -> Double {
            try await onThread { [self] in
                let client = try RawClient(port: port)
                defer { client.close() }
                let request = "GET \(path) HTTP/1.1\r\nHost: alloc.test\r\n\r\n"
                func send(_ count: Int) throws {
                    for _ in 0..<count {
                        try client.send(request)
                        let response = try client.readResponse()
                        guard response.status == 200 else { throw CountError.status(path, response.status) }
                    }
                }
                try send(500)
                usleep(200_000)
                let before = try count()
                try send(requests)
                usleep(200_000)
                let after = try count()
                return Double(after - before) / Double(requests)
            }
        }

        /// Asks the counter for its total and waits (up to 5 s) for the line it prints.
        private func count() throws -> Int {
            let seen = stderr.value.components(separatedBy: "allocations=").count
            kill(process.processIdentifier, SIGUSR2)
            for _ in 0..<500 {
                let parts = stderr.value.components(separatedBy: "allocations=")
                if parts.count > seen, let line = parts[seen].split(separator: "\n").first, parts[seen].contains("\n"),
                   let value = Int(line) {
                    return value
                }
                usleep(10_000)
            }
            throw CountError.noCount(stderr.value)
        }

        enum CountError: Error {
            case status(String, Int)
            case noCount(String)
        }
    }
}

/// A C compiler for the test-built helpers: Swift's toolchain ships clang beside `swift`.
enum CCompiler {
    static func find() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in ["cc", "clang", "gcc"] {
            for directory in path.split(separator: ":") {
                let candidate = "\(directory)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }
}
