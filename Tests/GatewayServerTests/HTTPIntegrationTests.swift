import Foundation
import Testing

extension GatewayServerTests {
    @Suite struct HTTPIntegration {
        @Test func pathIsAppendedAfterBasePathRemovalAndQueryForwardedUnchanged() async throws {
            try await withUpstream { upstream in
                let config = TestGateway.config(#"""
                    "apis": [
                      { "name": "legacy", "routes": [
                          { "route": "ANY /legacy/{proxy+}", "integration": { "type": "http", "url": "\#(upstream.url)/old" } },
                          { "route": "GET /root", "integration": { "type": "http", "url": "\#(upstream.url)" } } ] },
                      { "name": "shop", "basePath": "/shop", "routes": [
                          { "route": "GET /items/{id}", "integration": { "type": "http", "url": "\#(upstream.url)/base/" } } ] }
                    ]
                    """#)
                try await withGateway(config) { gateway in
                    let query = "?b=2&a=1&a=%20x&empty=&flag"
                    let cases: [(String, String)] = [
                        ("/legacy/a/b" + query, "/old/legacy/a/b" + query),
                        ("/legacy/a%20b/%E2%9C%93", "/old/legacy/a%20b/%E2%9C%93"),
                        ("/root?x=1", "/root?x=1"),
                        ("/shop/items/42" + query, "/base/items/42" + query),
                    ]
                    for (path, expected) in cases {
                        let response = try exchange(port: gateway.port, get(path))
                        #expect(response.status == 200, "\(path)")
                        let echo = try TestUpstream.parseEcho(response.body)
                        #expect(echo.uri == expected, "\(path) → \(echo.uri)")
                    }
                    // An encoded slash is refused rather than forwarded (upstreams disagree on whether it splits).
                    try expectProblem(try exchange(port: gateway.port, get("/legacy/a%2Fb/c")), status: 400, code: "BAD_REQUEST")
                }
            }
        }

        /// The response head waits for the body's first bytes so both leave in one write; bodies on either side
        /// of the coalescing limit, empty ones and chunked ones must still arrive whole, one after another on the
        /// same keep-alive connection.
        @Test func responsesAroundTheHeadCoalescingLimitArriveWhole() async throws {
            try await withUpstream { upstream in
                let config = TestGateway.config(#"""
                    "apis": [ { "name": "a", "routes": [
                        { "route": "GET /{proxy+}", "integration": { "type": "http", "url": "\#(upstream.url)" } } ] } ]
                    """#)
                try await withGateway(config) { gateway in
                    let port = gateway.port
                    try await onThread {
                        let client = try RawClient(port: port)
                        for size in [0, 1, 16_383, 16_384, 16_385, 70_000, 5] {
                            try client.send(get("/bytes/\(size)"))
                            let response = try client.readResponse(timeout: .seconds(10))
                            #expect(response.status == 200)
                            #expect(response.body.count == size, "\(size)")
                            #expect(response.body.allSatisfy { $0 == UInt8(ascii: "x") })
                        }
                        try client.send(get("/chunked/2500"))
                        let chunked = try client.readResponse(timeout: .seconds(10))
                        #expect(chunked.body.count == 2500)
                    }
                }
            }
        }

        @Test func pathTemplatesAreRendered() async throws {
            try await withUpstream { upstream in
                let config = TestGateway.config(routes: #"""
                    { "route": "GET /orders/{id}", "integration": { "type": "http", "url": "\#(upstream.url)", "path": "/internal/orders/{id}" } },
                    { "route": "ANY /files/{proxy+}", "integration": { "type": "http", "url": "\#(upstream.url)/v2", "path": "/store/{proxy}" } }
                    """#)
                try await withGateway(config) { gateway in
                    let order = try TestUpstream.parseEcho(try exchange(port: gateway.port, get("/orders/7?expand=items")).body)
                    #expect(order.uri == "/internal/orders/7?expand=items")
                    let file = try TestUpstream.parseEcho(try exchange(port: gateway.port, get("/files/a/b/c.txt")).body)
                    #expect(file.uri == "/v2/store/a/b/c.txt")
                }
            }
        }

        @Test func targetsRoundRobinAndSkipRefusingTargets() async throws {
            try await withUpstream { first in
                try await withUpstream { second in
                    let refused = try unusedLoopbackPort()
                    let config = TestGateway.config(routes: #"""
                        { "route": "GET /rr", "integration": { "type": "http",
                          "targets": ["http://127.0.0.1:\#(refused)", "\#(first.url)", "\#(second.url)"] } }
                        """#)
                    try await withGateway(config, eventLoops: 1) { gateway in
                        let client = try RawClient(port: gateway.port)
                        for i in 0..<9 {
                            try client.send(get("/rr"))
                            let response = try client.readResponse()
                            #expect(response.status == 200, "request \(i): \(response.bodyText)")
                        }
                        #expect(first.requestCount + second.requestCount == 9)
                        #expect(first.requestCount >= 3 && second.requestCount >= 3,
                                "round robin: \(first.requestCount) / \(second.requestCount)")
                    }
                }
            }
        }

        @Test func hopByHopHeadersAreRemovedAndForwardingHeadersSet() async throws {
            try await withUpstream { upstream in
                let config = TestGateway.config(routes: #"{ "route": "ANY /{proxy+}", "integration": { "type": "http", "url": "\#(upstream.url)" } }"#)
                try await withGateway(config) { gateway in
                    let client = try RawClient(port: gateway.port)
                    try client.send(get("/h", host: "Public.Example.Test:8080", headers: [
                        "Connection: keep-alive, X-Private-Hop", "X-Private-Hop: secret", "Keep-Alive: timeout=5",
                        "Proxy-Connection: keep-alive", "TE: trailers", "Trailer: X-T", "X-End-To-End: kept",
                        "X-Forwarded-Proto: gopher", "X-Forwarded-Host: spoofed.test", "X-Forwarded-For: 6.6.6.6",
                    ]))
                    let response = try client.readResponse()
                    #expect(response.status == 200)
                    let echo = try TestUpstream.parseEcho(response.body)
                    for name in ["x-private-hop", "keep-alive", "proxy-connection", "te", "trailer"] {
                        #expect(echo.header(name) == nil, "\(name) reached the upstream")
                    }
                    #expect(echo.headerValues("connection").allSatisfy { !$0.lowercased().contains("x-private-hop") })
                    #expect(echo.header("x-end-to-end") == "kept")
                    #expect(echo.header("host") == "127.0.0.1:\(upstream.port)")
                    #expect(echo.headerValues("x-forwarded-for") == ["127.0.0.1"])
                    #expect(echo.headerValues("x-forwarded-proto") == ["http"])
                    #expect(echo.headerValues("x-forwarded-host") == ["Public.Example.Test:8080"])
                    #expect(echo.headerValues("x-request-id") == [try #require(response.header("x-request-id"))])

                    // Response side: hop-by-hop and Connection-nominated headers are dropped, our request id wins.
                    try client.send(get("/hop-response"))
                    let hop = try client.readResponse()
                    #expect(hop.status == 200)
                    #expect(hop.header("x-upstream-private") == nil)
                    #expect(hop.header("keep-alive") == nil)
                    #expect(hop.header("x-upstream-public") == "ok")
                    #expect(hop.headerValues("x-request-id").count == 1)
                    #expect(hop.header("x-request-id") != "upstream-made-this")
                    #expect(!hop.closesConnection)
                }
            }
        }

        @Test func upstreamConnectionsAreReusedFromThePool() async throws {
            try await withUpstream { upstream in
                let config = TestGateway.config(routes: #"{ "route": "GET /pooled", "integration": { "type": "http", "url": "\#(upstream.url)" } }"#)
                try await withGateway(config) { gateway in
                    let requests = 30
                    for _ in 0..<requests {
                        // A fresh client connection each time: reuse must come from the gateway's pool.
                        let response = try exchange(port: gateway.port, get("/pooled"))
                        #expect(response.status == 200)
                    }
                    #expect(upstream.requestCount == requests)
                    #expect(upstream.connectionCount < requests)
                    #expect(upstream.connectionCount <= 4, "upstream saw \(upstream.connectionCount) connections")
                }
            }
        }

        @Test func largeBodiesStreamBothWaysWithBoundedMemory() async throws {
            let size = 128 * 1024 * 1024
            try await withUpstream { upstream in
                let config = TestGateway.config(routes: #"""
                    { "route": "ANY /{proxy+}", "integration": { "type": "http", "url": "\#(upstream.url)" }, "timeout": "120s" }
                    """#, extra: #""limits": { "maxBodySize": "512MB" }"#)
                try await withGateway(config) { gateway in
                    let port = gateway.port
                    let baseline = residentBytes()
                    let (uploadEcho, uploadPeak) = try await onThread { () throws -> (TestUpstream.Echo, Int) in
                        let client = try RawClient(port: port)
                        try client.send("POST /upload HTTP/1.1\r\nHost: g\r\nContent-Length: \(size)\r\n\r\n")
                        let piece = [UInt8](repeating: 0x61, count: 1 << 20)
                        var peak = 0
                        for i in 0..<(size >> 20) {
                            try piece.withUnsafeBytes { try client.send(raw: $0, timeout: .seconds(30)) }
                            if i % 8 == 0 { peak = max(peak, residentBytes()) }
                        }
                        let response = try client.readResponse(timeout: .seconds(60))
                        return (try TestUpstream.parseEcho(response.body), peak)
                    }
                    #expect(uploadEcho.bodyLength == size)

                    let (downloadLength, downloadPeak) = try await onThread { () throws -> (Int, Int) in
                        let client = try RawClient(port: port)
                        try client.send(get("/bytes/\(size)"))
                        let response = try client.readResponse(timeout: .seconds(120), bodyMode: .count)
                        return (response.bodyLength, residentBytes())
                    }
                    #expect(downloadLength == size)
                    let growth = max(uploadPeak, downloadPeak) - baseline
                    // Buffering either body would cost at least `size`; streaming costs a few socket buffers.
                    #expect(growth < 64 * 1024 * 1024, "process grew by \(growth >> 20) MB moving \(size >> 20) MB")
                }
            }
        }

        @Test func slowUpstreamPastTimeoutIs504() async throws {
            try await withUpstream { upstream in
                let config = TestGateway.config(routes: #"""
                    { "route": "GET /slow/{proxy+}", "integration": { "type": "http", "url": "\#(upstream.url)" }, "timeout": "300ms" },
                    { "route": "GET /ping", "integration": { "type": "mock", "status": 200, "body": "pong" } }
                    """#)
                try await withGateway(config) { gateway in
                    let client = try RawClient(port: gateway.port)
                    let start = ContinuousClock.now
                    try client.send(get("/slow/delay/3000"))
                    let response = try client.readResponse()
                    let elapsed = ContinuousClock.now - start
                    try expectProblem(response, status: 504, code: "INTEGRATION_TIMEOUT")
                    #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(2), "504 after \(elapsed)")
                    // A fast request within the timeout is fine (and the connection still works).
                    try client.send(get("/slow/delay/10"))
                    #expect(try client.readResponse().status == 200)
                }
            }
        }

        @Test func aRetargetedRequestCarriesTheNewTargetsHostAndBasePath() async throws {
            try await withUpstream { upstream in
                let refused = try unusedLoopbackPort()
                let config = TestGateway.config(routes: #"""
                    { "route": "GET /rt/{proxy+}", "integration": { "type": "http",
                      "targets": ["http://127.0.0.1:\#(refused)/dead", "\#(upstream.url)/live"] } }
                    """#)
                try await withGateway(config, eventLoops: 1) { gateway in
                    for i in 0..<4 {
                        let response = try exchange(port: gateway.port, get("/rt/x?i=\(i)", headers: ["X-Kept: \(i)"]))
                        #expect(response.status == 200)
                        let echo = try TestUpstream.parseEcho(response.body)
                        #expect(echo.uri == "/live/rt/x?i=\(i)")
                        #expect(echo.headerValues("host") == ["127.0.0.1:\(upstream.port)"])
                        #expect(echo.headerValues("x-kept") == ["\(i)"])
                        #expect(echo.headerValues("x-request-id") == [try #require(response.header("x-request-id"))])
                    }
                }
            }
        }

        @Test func aStaleKeepAliveConnectionIsRetriedOnceOnAFreshOne() async throws {
            try await withUpstream { upstream in
                let config = TestGateway.config(routes: #"""
                    { "route": "GET /up/{proxy+}", "integration": { "type": "http", "url": "\#(upstream.url)" } }
                    """#)
                try await withGateway(config, eventLoops: 1) { gateway in
                    let client = try RawClient(port: gateway.port)
                    try client.send(get("/up/warm"))
                    #expect(try client.readResponse().status == 200)
                    // `/close` closes without answering: on the reused connection that looks like a stale keep-alive,
                    // so the request is re-sent once on a new connection (which closes too, so the client gets 502).
                    try client.send(get("/up/close"))
                    try expectProblem(try client.readResponse(), status: 502, code: "INTEGRATION_FAILURE")
                    #expect(upstream.requestCount == 3)
                    #expect(upstream.connectionCount == 2)
                    try client.send(get("/up/after"))
                    #expect(try client.readResponse().status == 200)
                }
            }
        }

        @Test func connectFailureAndUpstreamResetAre502() async throws {
            try await withUpstream { upstream in
                let refused = try unusedLoopbackPort()
                let config = TestGateway.config(routes: #"""
                    { "route": "GET /down", "integration": { "type": "http", "url": "http://127.0.0.1:\#(refused)" } },
                    { "route": "GET /up/{proxy+}", "integration": { "type": "http", "url": "\#(upstream.url)" } },
                    { "route": "GET /ping", "integration": { "type": "mock", "status": 200, "body": "pong" } }
                    """#)
                try await withGateway(config) { gateway in
                    try expectProblem(try exchange(port: gateway.port, get("/down")), status: 502, code: "INTEGRATION_FAILURE")
                    // Warm a pooled connection first so the reset also covers a reused connection.
                    #expect(try exchange(port: gateway.port, get("/up/warm")).status == 200)
                    try expectProblem(try exchange(port: gateway.port, get("/up/reset")), status: 502, code: "INTEGRATION_FAILURE")
                    try expectProblem(try exchange(port: gateway.port, get("/up/close")), status: 502, code: "INTEGRATION_FAILURE")
                    #expect(try exchange(port: gateway.port, get("/up/after")).status == 200)
                    try expectStillServing(port: gateway.port)
                }
            }
        }

        @Test func spoofedForwardedForFromUntrustedPeerIsIgnored() async throws {
            try await withUpstream { upstream in
                let config = TestGateway.config(routes: #"{ "route": "GET /ip", "integration": { "type": "http", "url": "\#(upstream.url)" } }"#,
                                                extra: #""trustedProxies": ["10.0.0.0/8"]"#)
                try await withGateway(config) { gateway in
                    let response = try exchange(port: gateway.port, get("/ip", headers: ["X-Forwarded-For: 6.6.6.6, 10.1.1.1"]))
                    let echo = try TestUpstream.parseEcho(response.body)
                    #expect(echo.headerValues("x-forwarded-for") == ["127.0.0.1"])
                }
            }
        }

        @Test func forwardedForFromTrustedPeerIsKeptAndPeerAppended() async throws {
            try await withUpstream { upstream in
                let config = TestGateway.config(routes: #"{ "route": "GET /ip", "integration": { "type": "http", "url": "\#(upstream.url)" } }"#,
                                                extra: #""trustedProxies": ["127.0.0.1/32"], "accessLog": { "path": "access.log" }"#)
                try await withGateway(config) { gateway in
                    let response = try exchange(port: gateway.port, get("/ip", headers: ["X-Forwarded-For: 203.0.113.9"]))
                    let echo = try TestUpstream.parseEcho(response.body)
                    #expect(echo.headerValues("x-forwarded-for") == ["203.0.113.9, 127.0.0.1"])
                    // The client IP the gateway believes is the forwarded one.
                    let lines = try await AccessLog.lines(in: gateway, count: 1)
                    #expect(lines.first?["clientIp"]?.string == "203.0.113.9")
                }
            }
        }

        /// A dual-stack listener ([::]) sees IPv4 clients as ::ffff:a.b.c.d; they must still be plain IPv4 upstream
        /// (X-Forwarded-For), in the access log, and match IPv4 trusted proxies.
        @Test(.enabled(if: dualStackLoopbackAvailable, "this machine cannot bind [::] dual-stack (no IPv6 or bindv6only=1)"))
        func ipv4ClientsOfADualStackListenerAreIPv4() async throws {
            try await withUpstream { upstream in
                let config = #"""
                    { "listen": { "http": "[::]:0" }, "admin": { "listen": "127.0.0.1:0" },
                      "trustedProxies": ["127.0.0.1/32"], "accessLog": { "path": "access.log" },
                      "apis": [ { "name": "test", "routes": [
                        { "route": "GET /ip", "integration": { "type": "http", "url": "\#(upstream.url)" } } ] } ] }
                    """#
                try await withGateway(config) { gateway in
                    // Connected over IPv4 to the IPv6 wildcard socket.
                    let plain = try TestUpstream.parseEcho(exchange(port: gateway.port, get("/ip")).body)
                    #expect(plain.headerValues("x-forwarded-for") == ["127.0.0.1"])
                    // The peer matches the IPv4 trusted proxy, so the forwarded client is believed.
                    let forwarded = try TestUpstream.parseEcho(
                        exchange(port: gateway.port, get("/ip", headers: ["X-Forwarded-For: 203.0.113.9"])).body)
                    #expect(forwarded.headerValues("x-forwarded-for") == ["203.0.113.9, 127.0.0.1"])
                    let lines = try await AccessLog.lines(in: gateway, count: 2)
                    #expect(lines.map { $0["clientIp"]?.string } == ["127.0.0.1", "203.0.113.9"])
                    let text = try String(contentsOfFile: gateway.directory + "/access.log", encoding: .utf8)
                    #expect(!text.contains("::ffff:"), "\(text)")
                }
            }
        }
    }
}

/// True when a socket bound to [::] also accepts IPv4 connections (IPv6 present, bindv6only off).
let dualStackLoopbackAvailable: Bool = {
    let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var only: Int32 = 1
    var length = socklen_t(MemoryLayout<Int32>.size)
    guard getsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &only, &length) == 0, only == 0 else { return false }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_addr = in6addr_any
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0 }
    }
}()

/// Reads the access log a test configured as `accessLog.path: "access.log"` (relative to the config).
enum AccessLog {
    static func lines(in gateway: TestGateway, count: Int, timeout: Duration = .seconds(5)) async throws -> [JSON] {
        let path = gateway.directory + "/access.log"
        var lines: [String] = []
        let complete = await eventually(timeout: timeout) {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            lines = text.split(separator: "\n").map(String.init)
            return lines.count >= count
        }
        #expect(complete, "access log has \(lines.count) lines, expected \(count)")
        return try lines.map { try JSON.parse($0) }
    }
}
