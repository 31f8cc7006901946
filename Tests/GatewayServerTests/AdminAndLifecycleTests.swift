import Foundation
import Synchronization
import Testing

/// `POST /reload` on the admin port, off the concurrency pool (the admin handler reloads on it).
func adminReload(_ gateway: TestGateway, token: String? = nil) async throws -> RawResponse {
    let port = gateway.adminPort
    return try await onThread {
        let auth = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        return try exchange(port: port, "POST /reload HTTP/1.1\r\nHost: admin\r\n\(auth)Content-Length: 0\r\n\r\n")
    }
}

extension GatewayServerTests {
    @Suite struct Admin {
        static func config(body: String = "pong", extraRoute: String = "", token: String? = nil, upstream: TestUpstream? = nil) -> String {
            let up = upstream.map { #", { "route": "GET /up", "integration": { "type": "http", "url": "\#($0.url)" } }"# } ?? ""
            return TestGateway.config(#"""
                "apis": [ { "name": "test", "routes": [
                  { "route": "GET /ping", "integration": { "type": "mock", "status": 200, "body": "\#(body)" } }\#(extraRoute)\#(up) ] } ]
                """#, adminToken: token)
        }

        @Test func healthzAndMetrics() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream)) { gateway in
                    let health = try exchange(port: gateway.adminPort, get("/healthz"))
                    #expect(health.status == 200)
                    #expect(try JSON.parse(health.body)["status"]?.string == "ok")

                    #expect(try exchange(port: gateway.port, get("/ping")).status == 200)
                    #expect(try exchange(port: gateway.port, get("/up")).status == 200)
                    #expect(try exchange(port: gateway.port, get("/nope")).status == 404)
                    #expect(try await adminReload(gateway).status == 200)

                    let metrics = try exchange(port: gateway.adminPort, get("/metrics"))
                    #expect(metrics.status == 200)
                    #expect(metrics.header("content-type")?.hasPrefix("text/plain") == true)
                    let text = metrics.bodyText
                    let lines = text.split(separator: "\n").map(String.init)
                    func sample(_ name: String, _ labels: [String]) -> Bool {
                        lines.contains { $0.hasPrefix(name) && labels.allSatisfy($0.contains) }
                    }
                    #expect(sample("http_server_requests_total", [#"api="test""#, #"http_route="GET /ping""#, #"http_response_status_code="200""#]),
                            "\(text)")
                    #expect(sample("http_server_requests_total", [#"http_route="GET /up""#, #"http_response_status_code="200""#]))
                    #expect(sample("http_server_requests_total", [#"http_response_status_code="404""#]))
                    #expect(sample("http_server_request_duration_seconds_bucket", [#"api="test""#, #"http_route="GET /ping""#, "le="]))
                    #expect(sample("http_server_request_duration_seconds_count", [#"http_route="GET /ping""#]))
                    #expect(sample("portcullis_upstream_connections", ["127.0.0.1:\(upstream.port)"]))
                    #expect(sample("portcullis_config_reloads_total", [#"result="success""#]))
                    #expect(lines.contains { $0.hasPrefix("portcullis_config_reloads_total") && $0.contains("success") && $0.hasSuffix(" 1") })
                }
            }
        }

        @Test func reloadAppliesNewRoutes() async throws {
            try await withGateway(Self.config()) { gateway in
                #expect(try exchange(port: gateway.port, get("/new")).status == 404)
                try gateway.writeConfig(Self.config(body: "pong2", extraRoute: #", { "route": "GET /new", "integration": { "type": "mock", "status": 200, "body": "new" } }"#))
                let reload = try await adminReload(gateway)
                #expect(reload.status == 200, "\(reload.bodyText)")
                #expect(reload.header("content-type") == "application/json")
                let fresh = try exchange(port: gateway.port, get("/new"))
                #expect(fresh.status == 200 && fresh.bodyText == "new")
                #expect(try exchange(port: gateway.port, get("/ping")).bodyText == "pong2")
            }
        }

        @Test func brokenConfigIsRejectedAndRunningConfigKeepsServing() async throws {
            try await withGateway(Self.config()) { gateway in
                let keepAlive = try RawClient(port: gateway.port)
                try keepAlive.send(get("/ping"))
                #expect(try keepAlive.readResponse().status == 200)

                try gateway.writeConfig(#"""
                    { "listen": { "http": "127.0.0.1:0" }, "admin": { "listen": "127.0.0.1:0" }, "bogus": 1,
                      "limits": { "idleTimeout": "forever" },
                      "apis": [ { "name": "test", "routes": [ { "route": "GET /new", "integration": { "type": "mock" } } ] } ] }
                    """#)
                let reload = try await adminReload(gateway)
                let json = try expectProblem(reload, status: 400, code: "INVALID_CONFIG")
                let diagnostics = try #require(json["diagnostics"]?.array)
                #expect(diagnostics.count >= 2)
                for d in diagnostics {
                    #expect(d["pointer"]?.string != nil && d["message"]?.string?.isEmpty == false, "\(d)")
                }
                let pointers = diagnostics.compactMap { $0["pointer"]?.string }
                #expect(pointers.contains("/bogus"), "\(pointers)")
                #expect(pointers.contains("/limits/idleTimeout"), "\(pointers)")

                // The old config still serves, on the old connection and on new ones.
                try keepAlive.send(get("/ping"))
                #expect(try keepAlive.readResponse().bodyText == "pong")
                #expect(try exchange(port: gateway.port, get("/new")).status == 404)
                try expectStillServing(port: gateway.port)

                // Unparsable JSON is rejected the same way.
                try gateway.writeConfig("{ not json")
                try expectProblem(try await adminReload(gateway), status: 400, code: "INVALID_CONFIG")
                try expectStillServing(port: gateway.port)
            }
        }

        @Test func adminTokenIsRequiredWhenConfigured() async throws {
            try await withGateway(Self.config(token: "s3cret-token")) { gateway in
                for auth in [[], ["Authorization: Bearer wrong"], ["Authorization: s3cret-token"], ["Authorization: Bearer s3cret-token2"]] {
                    for path in ["/healthz", "/metrics"] {
                        let response = try exchange(port: gateway.adminPort, get(path, headers: auth))
                        try expectProblem(response, status: 401, code: "UNAUTHORIZED")
                        #expect(response.header("www-authenticate")?.hasPrefix("Bearer") == true)
                    }
                }
                let reload = try await adminReload(gateway)
                try expectProblem(reload, status: 401, code: "UNAUTHORIZED")
                #expect(reload.header("www-authenticate")?.hasPrefix("Bearer") == true)

                #expect(try exchange(port: gateway.adminPort, get("/healthz", headers: ["Authorization: Bearer s3cret-token"])).status == 200)
                #expect(try exchange(port: gateway.adminPort, get("/metrics", headers: ["Authorization: Bearer s3cret-token"])).status == 200)
                #expect(try await adminReload(gateway, token: "s3cret-token").status == 200)
                // The data plane does not need the token.
                try expectStillServing(port: gateway.port)
            }
        }

        /// RFC 9110 §11.1: the scheme is case-insensitive and one or more spaces may follow it.
        @Test func bearerSchemeIsCaseInsensitiveWithAnyNumberOfSpaces() async throws {
            try await withGateway(Self.config(token: "s3cret-token")) { gateway in
                for auth in ["Authorization: bearer s3cret-token", "authorization: BEARER s3cret-token",
                             "Authorization: BeArEr    s3cret-token", "Authorization: Bearer s3cret-token  "] {
                    #expect(try exchange(port: gateway.adminPort, get("/healthz", headers: [auth])).status == 200, "\(auth)")
                }
                for auth in ["Authorization: Bearers3cret-token", "Authorization: Basic s3cret-token",
                             "Authorization: Bearer", "Authorization: Bearer s3cret-tokens", "Authorization: Bearer s3cret",
                             "Authorization: Bearer S3CRET-TOKEN", "Authorization: Bear s3cret-token"] {
                    try expectProblem(try exchange(port: gateway.adminPort, get("/healthz", headers: [auth])),
                                      status: 401, code: "UNAUTHORIZED")
                }
            }
        }

        /// The admin listener has the edge's timers: a client that says nothing, one that never finishes its head,
        /// and an idle keep-alive connection are all closed (limits from the config, short here).
        @Test func silentSlowAndIdleAdminConnectionsAreClosed() async throws {
            let config = TestGateway.config(#"""
                "limits": { "headerTimeout": "400ms", "idleTimeout": "600ms" },
                "apis": [ { "name": "test", "routes": [
                  { "route": "GET /ping", "integration": { "type": "mock", "status": 200, "body": "pong" } } ] } ]
                """#)
            try await withGateway(config) { gateway in
                let port = gateway.adminPort
                // Blocking socket waits run on their own thread; the expectations are checked here, in the test.
                let outcome = try await onThread { () throws -> (silent: Duration?, partial: Bool, idleStatus: Int, idle: Duration?) in
                    func closedAfter(_ client: RawClient) -> Duration? {
                        let start = ContinuousClock.now
                        return client.waitForClose(timeout: .seconds(5)) ? ContinuousClock.now - start : nil
                    }
                    let silent = try RawClient(port: port)
                    let silentFor = closedAfter(silent)
                    let partial = try RawClient(port: port)
                    try partial.send("GET /healthz HTTP/1.1\r\nHost: admin\r\n")
                    let partialClosed = partial.waitForClose(timeout: .seconds(5))
                    let idle = try RawClient(port: port)
                    try idle.send("GET /healthz HTTP/1.1\r\nHost: admin\r\n\r\n")
                    let status = try idle.readResponse().status
                    return (silentFor, partialClosed, status, closedAfter(idle))
                }
                let silent = try #require(outcome.silent, "a silent admin connection must be closed")
                #expect(silent >= .milliseconds(300) && silent < .seconds(3), "closed after \(silent)")
                #expect(outcome.partial, "an unfinished head must be cut off")
                #expect(outcome.idleStatus == 200)
                let idle = try #require(outcome.idle, "an idle keep-alive admin connection must be closed")
                #expect(idle >= .milliseconds(500) && idle < .seconds(3), "closed after \(idle)")
                // The listener still answers afterwards.
                #expect(try exchange(port: port, get("/healthz")).status == 200)
            }
        }
    }

    @Suite struct Lifecycle {
        /// Counts shared by the load clients.
        final class LoadStats: Sendable {
            let state = Mutex((ok: 0, failed: 0, dropped: 0, failures: [String]()))
            let stop = Atomic(false)
            var ok: Int { state.withLock { $0.ok } }
        }

        @Test func tenReloadsDuringLoadFailNothingAndDropNothing() async throws {
            try await withUpstream { upstream in
                func config(_ variant: Int) -> String {
                    TestGateway.config(#"""
                        "apis": [ { "name": "test", "routes": [
                          { "route": "GET /load/{proxy+}", "integration": { "type": "http", "url": "\#(upstream.url)" }, "timeout": "\#(variant == 0 ? "10s" : "11s")" },
                          { "route": "GET /ping", "integration": { "type": "mock", "status": 200, "body": "v\#(variant)" } } ] } ]
                        """#)
                }
                try await withGateway(config(0)) { gateway in
                    let stats = LoadStats()
                    let port = gateway.port
                    let clients = 6
                    let workers = (0..<clients).map { index in
                        Task {
                            try await onThread {
                                let client = try RawClient(port: port)
                                var n = 0
                                while !stats.stop.load(ordering: .relaxed) {
                                    n += 1
                                    let path = n % 3 == 0 ? "/ping" : "/load/c\(index)/\(n)"
                                    do {
                                        try client.send(get(path))
                                        let response = try client.readResponse(timeout: .seconds(5))
                                        if response.status == 200 && !response.closesConnection {
                                            stats.state.withLock { $0.ok += 1 }
                                        } else {
                                            stats.state.withLock { $0.failed += 1; $0.failures.append("\(path): \(response.status)") }
                                        }
                                        if response.closesConnection { stats.state.withLock { $0.dropped += 1 }; return }
                                    } catch {
                                        stats.state.withLock { $0.dropped += 1; $0.failures.append("\(path): \(error)") }
                                        return
                                    }
                                }
                                client.close()
                            }
                        }
                    }
                    let start = ContinuousClock.now
                    #expect(await eventually { stats.ok >= 50 })
                    for i in 1...10 {
                        try gateway.writeConfig(config(i % 2))
                        let before = stats.ok
                        let reload = try await adminReload(gateway)
                        #expect(reload.status == 200, "reload \(i): \(reload.bodyText)")
                        // Pace the reloads by traffic, not by sleeping: let the clients make progress in between.
                        #expect(await eventually { stats.ok >= before + 60 }, "no progress after reload \(i)")
                    }
                    // Keep the run going for about two seconds in total.
                    _ = await eventually(timeout: .seconds(3)) { ContinuousClock.now - start >= .seconds(2) }
                    stats.stop.store(true, ordering: .relaxed)
                    for worker in workers { try await worker.value }
                    let final = stats.state.withLock { $0 }
                    #expect(final.failed == 0, "failed requests: \(final.failures.prefix(5))")
                    #expect(final.dropped == 0, "dropped connections: \(final.failures.prefix(5))")
                    #expect(final.ok > 600, "only \(final.ok) requests")
                    #expect(upstream.connectionCount < final.ok / 10, "pool churned: \(upstream.connectionCount) upstream connections")
                    let ping = try exchange(port: gateway.port, get("/ping"))
                    #expect(ping.bodyText == "v0")
                }
            }
        }

        @Test func drainLetsInFlightRequestFinishAndRefusesNewConnections() async throws {
            let upstream = try await TestUpstream.start()
            defer { Task { await upstream.stop() } }
            let config = TestGateway.config(routes: #"{ "route": "GET /slow/{proxy+}", "integration": { "type": "http", "url": "\#(upstream.url)" } }"#)
            let gateway = try await TestGateway.start(config)
            let port = gateway.port
            let inFlight = Task {
                try await onThread { () throws -> RawResponse in
                    let client = try RawClient(port: port)
                    try client.send(get("/slow/delay/1000"))
                    return try client.readResponse(timeout: .seconds(10))
                }
            }
            #expect(await eventually { upstream.requestCount == 1 }, "the slow request never reached the upstream")
            let drain = Task { await gateway.stop() }
            let refused = await eventually(timeout: .seconds(3)) {
                do { _ = try RawClient(port: port); return false } catch RawClientError.connectFailed { return true } catch { return false }
            }
            #expect(refused, "new connections are still accepted while draining")
            let response = try await inFlight.value
            let answered = ContinuousClock.now
            #expect(response.status == 200)
            #expect(try TestUpstream.parseEcho(response.body).uri == "/slow/delay/1000")
            #expect(response.closesConnection, "a response finished during a drain should announce the close")
            await drain.value
            // Nothing is left in flight, so the drain must not sit out its 10 s deadline.
            #expect(ContinuousClock.now - answered < .seconds(3), "drain took \(ContinuousClock.now - answered) after the last response")
        }
    }
}
