import Foundation
import Synchronization
import Testing

extension GatewayServerTests {
    /// Attacks on the edge over real sockets: path climbing, upgrade offers, bodies that never come, and clients
    /// that send without reading. (Refusals of ambiguous framing are in `EdgeProtocol.smuggling`.)
    @Suite struct EdgeHardening {
        static func config(upstream: TestUpstream) -> String {
            TestGateway.config(routes: """
                { "route": "GET /ping", "integration": { "type": "mock", "status": 200, "body": { "ok": true } } },
                { "route": "POST /mock", "integration": { "type": "mock", "status": 201, "body": "made" } },
                { "route": "GET /admin", "integration": { "type": "mock", "status": 200, "body": "admin route" } },
                { "route": "GET /tenant", "integration": { "type": "http", "url": "\(upstream.url)" },
                  "validate": { "parameters": { "header.X-Tenant": { "required": true, "schema": { "type": "string" } } } } },
                { "route": "ANY /orders/{proxy+}", "integration": { "type": "http", "url": "\(upstream.url)/internal" } },
                { "route": "ANY /items/{id}", "integration": { "type": "http", "url": "\(upstream.url)",
                                                               "path": "/store/{id}/detail" } }
                """)
        }

        static func largeBodies(_ upstream: ScriptedUpstream) -> String {
            TestGateway.config(routes: #"{ "route": "ANY /{proxy+}", "integration": { "type": "http", "url": "\#(upstream.url)" } }"#,
                               extra: #""limits": { "maxBodySize": "64MB" }"#)
        }

        // MARK: paths

        @Test func dotSegmentsAreResolvedBeforeRoutingAndForwarding() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream)) { gateway in
                    // Resolves to /admin: the admin route answers, the orders upstream never sees it.
                    let admin = try exchange(port: gateway.port, get("/orders/x/../../admin"))
                    #expect(admin.status == 200 && admin.bodyText == "admin route")
                    let encoded = try exchange(port: gateway.port, get("/orders/x/%2e%2E/%2E%2e/admin"))
                    #expect(encoded.status == 200 && encoded.bodyText == "admin route")
                    #expect(upstream.requestCount == 0)

                    let forwarded: [(String, String)] = [
                        ("/orders/a/%2e%2e/b", "/internal/orders/b"),
                        ("/orders/./x/.", "/internal/orders/x/"),
                        ("/orders/%61bc?q=%2e%2e", "/internal/orders/abc?q=%2e%2e"),
                        ("/orders/a%20b/c/..", "/internal/orders/a%20b/"),
                    ]
                    for (path, expected) in forwarded {
                        let response = try exchange(port: gateway.port, get(path))
                        #expect(response.status == 200, "\(path)")
                        #expect(try TestUpstream.parseEcho(response.body).uri == expected, "\(path)")
                    }
                    // Path parameters come from the normalised path: no dot segment reaches a template.
                    let item = try exchange(port: gateway.port, get("/items/7/x/.."))
                    #expect(try TestUpstream.parseEcho(item.body).uri == "/store/7/detail")
                }
            }
        }

        @Test func aPathThatClimbsAboveTheBaseNeverReachesTheUpstream() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream)) { gateway in
                    for path in ["/orders/../../admin", "/orders/%2e%2e/%2e%2e/admin", "/orders/a/../../../etc/passwd"] {
                        let response = try exchange(port: gateway.port, get(path))
                        try expectProblem(response, status: 400, code: "BAD_REQUEST", close: true)
                    }
                    #expect(upstream.requestCount == 0)
                }
            }
        }

        /// A header the route validated must reach the upstream: `Connection` may not strip it after the check.
        @Test func connectionMayNotNominateAHeaderTheRouteValidates() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream)) { gateway in
                    let ok = try exchange(port: gateway.port, get("/tenant", headers: ["X-Tenant: a", "Connection: x-other"]))
                    #expect(ok.status == 200)
                    #expect(try TestUpstream.parseEcho(ok.body).header("x-tenant") == "a")
                    let nominated = try exchange(port: gateway.port, get("/tenant", headers: ["X-Tenant: a", "Connection: X-TENANT"]))
                    try expectProblem(nominated, status: 400, code: "BAD_REQUEST", close: true)
                    #expect(upstream.requestCount == 1)
                }
            }
        }

        // MARK: upgrade offers

        @Test func anUpgradeOfferIsAnsweredAsAnOrdinaryRequestAndTheConnectionGoesOn() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream)) { gateway in
                    let client = try RawClient(port: gateway.port)
                    let h2c = ["Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA"]
                    // As curl --http2 sends it on plain HTTP, followed at once by a pipelined request.
                    try client.send(get("/ping", headers: h2c) + get("/ping"))
                    let first = try client.readResponses(2)
                    #expect(first.map(\.status) == [200, 200])
                    // And later requests on the same connection, to the upstream too (which never sees the offer).
                    try client.send(get("/orders/1", headers: h2c))
                    let proxied = try client.readResponse()
                    #expect(proxied.status == 200)
                    let echo = try TestUpstream.parseEcho(proxied.body)
                    #expect(echo.header("upgrade") == nil && echo.header("http2-settings") == nil)
                    try client.send("POST /orders/2 HTTP/1.1\r\nHost: g\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"
                                    + "Content-Length: 5\r\n\r\nhello" + get("/ping"))
                    let withBody = try client.readResponses(2)
                    #expect(withBody.map(\.status) == [200, 200])
                    #expect(try TestUpstream.parseEcho(withBody[0].body).bodyLength == 5)
                    try client.send(get("/ping"))
                    #expect(try client.readResponse().status == 200)
                    #expect(client.staysOpen(for: .milliseconds(50)))
                }
            }
        }

        /// `Upgrade` without an `upgrade` token in `Connection` is no upgrade to llhttp, which parses on: the
        /// decoder must not be restarted then, or a pipelined request's body (or header) would be read as requests.
        @Test func anUpgradeHeaderThatLlhttpIgnoresNeverDesyncsTheConnection() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream)) { gateway in
                    let smuggled = "GET /orders/SMUGGLED HTTP/1.1\r\nHost: h\r\n\r\n"
                    let body = smuggled
                    let client = try RawClient(port: gateway.port)
                    try client.send("GET /ping HTTP/1.1\r\nHost: h\r\nUpgrade: foo\r\n\r\n"
                                    + "POST /mock HTTP/1.1\r\nHost: h\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
                    try await Task.sleep(for: .milliseconds(300))
                    try client.send(body)
                    let responses = try client.readResponses(2)
                    #expect(responses.map(\.status) == [200, 201])

                    let split = try RawClient(port: gateway.port)
                    try split.send("GET /ping HTTP/1.1\r\nHost: h\r\nUpgrade: x\r\n\r\nGET /ping HTTP/1.1\r\nX-A: GET /ord")
                    try await Task.sleep(for: .milliseconds(300))
                    try split.send("ers/SMUG2 HTTP/1.1\r\nHost: h\r\n\r\n")
                    #expect(try split.readResponses(2).map(\.status) == [200, 200])
                    #expect(upstream.requestCount == 0, "a smuggled request reached the upstream")
                }
            }
        }

        /// A pipelined request behind one answered with `Connection: close` is never started (nor forwarded).
        @Test func nothingQueuedBehindAClosingAnswerIsStarted() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream)) { gateway in
                    let client = try RawClient(port: gateway.port)
                    try client.send(get("/orders/delay/150/slow") + "GET /ping HTTP/1.1\r\n\r\n" + get("/orders/after-close"))
                    let first = try client.readResponse()
                    #expect(first.status == 200)
                    try expectProblem(try client.readResponse(), status: 400, code: "BAD_REQUEST", close: true)
                    #expect(client.waitForClose(), "connection left open")
                    try await Task.sleep(for: .milliseconds(300))  // time for a wrongly started request to arrive
                    #expect(upstream.requestCount == 1, "a request queued behind the closing answer reached the upstream")
                }
            }
        }

        // MARK: bodies owed after an early answer

        @Test(arguments: ["POST /nowhere", "PUT /ping", "POST /mock"])
        func aBodyThatNeverComesAfterAnEarlyAnswerEndsTheConnection(_ requestLine: String) async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream)) { gateway in
                    let client = try RawClient(port: gateway.port)
                    try client.send("\(requestLine) HTTP/1.1\r\nHost: g\r\nContent-Length: 100\r\n\r\n")
                    let response = try client.readResponse()
                    #expect([404, 405, 201].contains(response.status), "\(requestLine): \(response.status)")
                    let started = ContinuousClock.now
                    #expect(client.waitForClose(timeout: .seconds(12)), "\(requestLine): still open")
                    #expect(ContinuousClock.now - started >= .seconds(3), "closed before the body had its time")
                }
            }
        }

        @Test func aBodyOwedAfterAnEarlyUpstreamAnswerEndsTheConnectionToo() async throws {
            try await withScriptedUpstream { upstream in
                try await withPoolGateway(UpstreamFraming.config(upstream)) { port in
                    let client = try RawClient(port: port)
                    // The scripted upstream answers at the head, before the declared body.
                    try client.send("POST /next HTTP/1.1\r\nHost: g\r\nContent-Length: 100\r\n\r\n")
                    let response = try client.readResponse()
                    #expect(response.status == 200 && response.bodyText == "next")
                    let started = ContinuousClock.now
                    #expect(client.waitForClose(timeout: .seconds(12)), "still open")
                    #expect(ContinuousClock.now - started >= .seconds(3), "closed before the body had its time")
                }
            }
        }

        /// The route timer of the exchange must not cut the owed-body window short.
        @Test func aRouteTimeoutShorterThanTheOwedBodyWindowDoesNotCloseTheConnection() async throws {
            try await withScriptedUpstream { upstream in
                let config = TestGateway.config(routes: #"{ "route": "ANY /{proxy+}", "integration": { "type": "http", "url": "\#(upstream.url)" }, "timeout": "1s" }"#)
                try await withPoolGateway(config) { port in
                    let client = try RawClient(port: port)
                    try client.send("POST /next HTTP/1.1\r\nHost: g\r\nContent-Length: 30\r\n\r\n")
                    #expect(try client.readResponse().bodyText == "next")
                    for _ in 0..<15 {  // 30 bytes over about 2 s, past the 1 s route timeout
                        try client.send("xx")
                        try await Task.sleep(for: .milliseconds(140))
                    }
                    try client.send(get("/next"))
                    #expect(try client.readResponse().bodyText == "next")
                }
            }
        }

        /// An upstream that answered early and stopped reading had paused the client: the rest of the body must
        /// still be read and dropped, and the connection go on.
        @Test func aBodyOwedToAnUpstreamThatStoppedReadingIsStillDrained() async throws {
            try await withScriptedUpstream { upstream in
                try await withPoolGateway(Self.largeBodies(upstream)) { port in
                    let client = try RawClient(port: port)
                    let size = 40 << 20
                    try client.send("POST /stall/x HTTP/1.1\r\nHost: g\r\nContent-Length: \(size)\r\n\r\n")
                    let chunk = [UInt8](repeating: 0x61, count: 1 << 20)
                    for _ in 0..<(size >> 20) { try client.send(chunk, timeout: .seconds(4)) }
                    #expect(try client.readResponse().status == 403)
                    try client.send(get("/next"))
                    #expect(try client.readResponse().bodyText == "next")
                }
            }
        }

        /// A client that uploads before it reads (as curl does) while the upstream answers early with a large body:
        /// the upload must still be read, though the client is not taking the response yet.
        @Test func anUploadIsReadWhileAnEarlyLargeAnswerWaitsForTheClient() async throws {
            try await withScriptedUpstream { upstream in
                try await withPoolGateway(Self.largeBodies(upstream)) { port in
                    let client = try RawClient(port: port)
                    let size = 16 << 20
                    try client.send("POST /big-early/x HTTP/1.1\r\nHost: g\r\nContent-Length: \(size)\r\n\r\n")
                    try await Task.sleep(for: .milliseconds(200))
                    let chunk = [UInt8](repeating: 0x61, count: 1 << 20)
                    for _ in 0..<(size >> 20) { try client.send(chunk, timeout: .seconds(4)) }
                    let response = try client.readResponse(bodyMode: .count)
                    #expect(response.status == 200 && response.bodyLength == 8 << 20)
                    try client.send(get("/next"))
                    #expect(try client.readResponse().bodyText == "next")
                }
            }
        }

        @Test func aBodyThatArrivesInTimeAfterAnEarlyAnswerKeepsTheConnection() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream)) { gateway in
                    let client = try RawClient(port: gateway.port)
                    try client.send("POST /nowhere HTTP/1.1\r\nHost: g\r\nContent-Length: 10\r\n\r\n")
                    #expect(try client.readResponse().status == 404)
                    try await Task.sleep(for: .milliseconds(300))
                    try client.send("0123456789" + get("/ping"))
                    #expect(try client.readResponse().status == 200)
                    #expect(client.staysOpen(for: .milliseconds(50)))
                }
            }
        }
    }

    /// Per-connection memory against a client that pipelines without reading, measured on the real binary so the
    /// test process's own allocations cannot blur the figure.
    @Suite struct PipeliningBackPressure {
        /// 512 bytes, so 100k answers (about 60 MB) far exceed what the kernel's socket buffers absorb: a gateway
        /// that kept reading would have to hold most of them itself.
        static let pingBody = String(repeating: "p", count: 512)

        /// The built binary on `routes` (one event loop), until `body` returns.
        static func withBinary(routes: String, limits: String = "",
                               _ body: (_ pid: Int32, _ port: Int) async throws -> Void) async throws {
            try #require(FileManager.default.isExecutableFile(atPath: Binary.executable), "run swift build first")
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let port = try Binary.freePort()
            let adminPort = try Binary.freePort()
            let configPath = directory + "/gateway.json"
            let limitsMember = limits.isEmpty ? "" : #""limits": { \#(limits) },"#
            try #"""
                { "listen": { "http": "127.0.0.1:\#(port)" }, "admin": { "listen": "127.0.0.1:\#(adminPort)" },
                  \#(limitsMember) "apis": [ { "name": "bin", "routes": [ \#(routes) ] } ] }
                """#.write(toFile: configPath, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Binary.executable)
            process.arguments = ["serve", "--config", configPath, "--threads", "1"]
            let errors = Binary.Output()
            let stderr = Pipe()
            process.standardError = stderr
            process.standardOutput = FileHandle.nullDevice
            stderr.fileHandleForReading.readabilityHandler = { errors.append($0.availableData) }
            try process.run()
            defer {
                stderr.fileHandleForReading.readabilityHandler = nil
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
            let ready = await eventually(timeout: .seconds(20)) { errors.value.contains("portcullis ready") }
            try #require(ready, "no ready line; stderr: \(errors.value)")
            try await body(process.processIdentifier, port)
            kill(process.processIdentifier, SIGTERM)
            _ = await eventually(timeout: .seconds(15)) { !process.isRunning }
        }

        @Test func aClientThatSendsAndNeverReadsCannotGrowTheGatewaysMemory() async throws {
            let ping = #"{ "route": "GET /ping", "integration": { "type": "mock", "status": 200, "body": "\#(Self.pingBody)" } }"#
            try await Self.withBinary(routes: ping) { pid, port in
            // Warm up the allocator and the loop with ordinary traffic, then take the baseline.
            let warm = try RawClient(port: port)
            for _ in 0..<2000 {
                try warm.send(get("/ping"))
                _ = try warm.readResponse()
            }
            let baseline = try #require(Self.residentBytes(of: pid))

            let request = Array(get("/ping").utf8)
            var flood: [UInt8] = []
            flood.reserveCapacity(request.count * 100_000)
            for _ in 0..<100_000 { flood.append(contentsOf: request) }
            let progress = FloodProgress()
            let payload = flood
            ThreadStarter {
                // Sends without blocking for at most 8 s; the gateway is expected to stop reading long before.
                guard let client = try? RawClient(port: port) else {
                    progress.done.withLock { $0 = true }
                    return
                }
                let deadline = ContinuousClock.now + .seconds(8)
                var offset = 0
                while offset < payload.count, ContinuousClock.now < deadline {
                    let n = payload.withUnsafeBytes {
                        Glibc.send(client.fd, $0.baseAddress! + offset, min(65536, payload.count - offset),
                                   Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                    }
                    if n > 0 {
                        offset += n
                        progress.sent.withLock { $0 = offset }
                    } else if errno == EAGAIN || errno == EINTR {
                        usleep(5_000)
                    } else {
                        break
                    }
                }
                progress.done.withLock { $0 = true }
                // Held open and never read until the test ends, so whatever the gateway queued for it stays queued.
                while !progress.finished.withLock({ $0 }) { usleep(20_000) }
                client.close()
            }.start()
            defer { progress.finished.withLock { $0 = true } }

            // The kernel's socket buffers take the whole flood at once; a gateway that kept reading would take
            // seconds to turn it into queued answers, so memory is watched for a fixed 10 s, not until the send ends.
            var peak = baseline
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                peak = max(peak, Self.residentBytes(of: pid) ?? 0)
                try await Task.sleep(for: .milliseconds(50))
            }
            // Others are still served while the flooding connection is stalled.
            #expect(try exchange(port: port, get("/ping"), timeout: .seconds(5)).status == 200)
            let growth = peak - baseline
            #expect(growth < 16 << 20, "RSS grew by \(growth >> 20) MB (baseline \(baseline >> 20) MB, sent \(progress.sent.withLock { $0 }) bytes)")
            }
        }

        /// Pipelined uploads queued behind an exchange that waits on a slow upstream: reading stops at a byte bound,
        /// not only a part count (128 parts of up to 64 KiB each would be 8 MB per connection).
        @Test func pipelinedUploadsBehindASlowExchangeAreBoundedInBytes() async throws {
            try await withUpstream { upstream in
                let routes = #"""
                    { "route": "ANY /up/{proxy+}", "integration": { "type": "http", "url": "\#(upstream.url)" }, "timeout": "30s" },
                    { "route": "POST /mock", "integration": { "type": "mock", "status": 201, "body": "made" } }
                    """#
                try await Self.withBinary(routes: routes, limits: #""maxBodySize": "64MB""#) { pid, port in
                    let warm = try RawClient(port: port)
                    for _ in 0..<200 {
                        try warm.send("POST /mock HTTP/1.1\r\nHost: g\r\nContent-Length: 5\r\n\r\nhello")
                        _ = try warm.readResponse()
                    }
                    let baseline = try #require(Self.residentBytes(of: pid))
                    let connections = 10
                    let size = 30 << 20
                    let progress = FloodProgress()
                    for _ in 0..<connections {
                        ThreadStarter {
                            guard let client = try? RawClient(port: port) else { return }
                            let head = "GET /up/delay/12000/x HTTP/1.1\r\nHost: g\r\n\r\n"
                                + "POST /mock HTTP/1.1\r\nHost: g\r\nContent-Length: \(size)\r\n\r\n"
                            try? client.send(head)
                            let chunk = [UInt8](repeating: 0x61, count: 64 << 10)
                            let deadline = ContinuousClock.now + .seconds(8)
                            var sent = 0
                            while sent < size, ContinuousClock.now < deadline {
                                let n = chunk.withUnsafeBytes {
                                    Glibc.send(client.fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                                }
                                if n > 0 { sent += n } else if errno == EAGAIN || errno == EINTR { usleep(5_000) } else { break }
                            }
                            while !progress.finished.withLock({ $0 }) { usleep(20_000) }
                            client.close()
                        }.start()
                    }
                    defer { progress.finished.withLock { $0 = true } }
                    var peak = baseline
                    let deadline = ContinuousClock.now + .seconds(9)
                    while ContinuousClock.now < deadline {
                        peak = max(peak, Self.residentBytes(of: pid) ?? 0)
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    let growth = peak - baseline
                    #expect(growth < 24 << 20, "RSS grew by \(growth >> 20) MB over \(connections) connections")
                }
            }
        }

        final class FloodProgress: Sendable {
            let sent = Mutex(0)
            let done = Mutex(false)
            let finished = Mutex(false)
        }

        static func residentBytes(of pid: Int32) -> Int? {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8) else { return nil }
            let fields = text.split(separator: " ")
            guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
            return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
        }
    }
}
