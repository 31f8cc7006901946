import Foundation
import Testing

extension GatewayServerTests {
    @Suite struct EdgeProtocol {
        static func config(upstream: TestUpstream, limits: String = "") -> String {
            TestGateway.config(routes: """
                { "route": "GET /ping", "integration": { "type": "mock", "status": 200, "body": { "ok": true } } },
                { "route": "ANY /echo/{proxy+}", "integration": { "type": "http", "url": "\(upstream.url)" } },
                { "route": "ANY /echo", "integration": { "type": "http", "url": "\(upstream.url)" } }
                """, extra: limits.isEmpty ? "" : #""limits": { \#(limits) }"#)
        }

        @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream)) { gateway in
                    let client = try RawClient(port: gateway.port)
                    for path in ["/ping", "/echo", "/ping", "/echo/a"] {
                        try client.send(get(path))
                        let response = try client.readResponse()
                        #expect(response.status == 200, "\(path)")
                        #expect(!response.closesConnection)
                    }
                    #expect(client.staysOpen(for: .milliseconds(100)))
                }
            }
        }

        @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream)) { gateway in
                    let client = try RawClient(port: gateway.port)
                    // The slow upstream request first: the mock behind it must not overtake it.
                    try client.send(get("/echo/delay/150/first") + get("/ping") + get("/echo/second")
                                    + "POST /echo/third HTTP/1.1\r\nHost: g\r\nContent-Length: 3\r\n\r\nabc" + get("/ping"))
                    let responses = try client.readResponses(5)
                    #expect(responses.map(\.status) == [200, 200, 200, 200, 200])
                    #expect(try TestUpstream.parseEcho(responses[0].body).uri == "/echo/delay/150/first")
                    #expect(responses[1].bodyText == #"{"ok":true}"#)
                    #expect(try TestUpstream.parseEcho(responses[2].body).uri == "/echo/second")
                    let third = try TestUpstream.parseEcho(responses[3].body)
                    #expect(third.uri == "/echo/third" && third.bodyLength == 3)
                    #expect(responses[4].bodyText == #"{"ok":true}"#)
                    #expect(Set(responses.compactMap { $0.header("x-request-id") }).count == 5)
                }
            }
        }

        @Test func chunkedRequestBodyIsForwarded() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream)) { gateway in
                    let client = try RawClient(port: gateway.port)
                    try client.send("POST /echo HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    + "5\r\nhello\r\n" + "a;ext=1\r\n0123456789\r\n" + "0\r\n\r\n")
                    let response = try client.readResponse()
                    #expect(response.status == 200)
                    let echo = try TestUpstream.parseEcho(response.body)
                    #expect(echo.bodyLength == 15)
                    #expect(echo.method == "POST")
                    // And the connection is reusable after a chunked body.
                    try client.send(get("/ping"))
                    #expect(try client.readResponse().status == 200)
                }
            }
        }

        @Test func chunkedResponseBodyReachesTheClient() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream)) { gateway in
                    let client = try RawClient(port: gateway.port)
                    try client.send(get("/echo/chunked/25000"))
                    let response = try client.readResponse()
                    #expect(response.status == 200)
                    #expect(response.bodyLength == 25000)
                    #expect(response.body.allSatisfy { $0 == UInt8(ascii: "c") })
                    try client.send(get("/ping"))
                    #expect(try client.readResponse().status == 200)
                }
            }
        }

        @Test func http10ClientGetsAChunkedUpstreamBodyDechunkedAndCloseDelimited() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream)) { gateway in
                    let client = try RawClient(port: gateway.port)
                    try client.send("GET /echo/chunked/25000 HTTP/1.0\r\nHost: g\r\nConnection: keep-alive\r\n\r\n")
                    let response = try client.readResponse()
                    #expect(response.status == 200)
                    #expect(response.header("transfer-encoding") == nil, "HTTP/1.0 has no chunked coding")
                    #expect(response.header("connection") == "close")
                    #expect(response.bodyLength == 25000)
                    #expect(response.body.allSatisfy { $0 == UInt8(ascii: "c") })
                    #expect(client.waitForClose())
                    try expectStillServing(port: gateway.port)
                }
            }
        }

        @Test func http10KeepAliveClientKeepsItsConnectionForFramedResponses() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream)) { gateway in
                    let client = try RawClient(port: gateway.port)
                    for _ in 0..<2 {
                        try client.send("GET /echo/a HTTP/1.0\r\nHost: g\r\nConnection: keep-alive\r\n\r\n")
                        let response = try client.readResponse()
                        #expect(response.status == 200)
                        #expect(response.header("connection")?.lowercased() == "keep-alive")
                        #expect(response.header("content-length") != nil)
                    }
                    // Without keep-alive, HTTP/1.0 closes after the response.
                    try client.send("GET /echo/a HTTP/1.0\r\nHost: g\r\n\r\n")
                    #expect(try client.readResponse().status == 200)
                    #expect(client.waitForClose())
                }
            }
        }

        @Test func expectContinueGetsInterimResponseThenFinal() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream)) { gateway in
                    let client = try RawClient(port: gateway.port)
                    try client.send("POST /echo HTTP/1.1\r\nHost: g\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n")
                    let interim = try client.readResponse()
                    #expect(interim.status == 100)
                    try client.send("0123456789")
                    let final = try client.readResponse()
                    #expect(final.status == 200)
                    let echo = try TestUpstream.parseEcho(final.body)
                    #expect(echo.bodyLength == 10)
                    #expect(echo.header("expect") == nil, "Expect is hop-by-hop for the gateway")
                }
            }
        }

        @Test func bodyOverLimitByContentLengthIs413() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream, limits: #""maxBodySize": "1KB""#)) { gateway in
                    let client = try RawClient(port: gateway.port)
                    // Only the head: the gateway must refuse on the declared length alone.
                    try client.send("POST /echo HTTP/1.1\r\nHost: g\r\nContent-Length: 5000\r\n\r\n")
                    let response = try client.readResponse()
                    try expectProblem(response, status: 413, code: "REQUEST_TOO_LARGE", close: true)
                    #expect(client.waitForClose())
                    #expect(upstream.requestCount == 0)
                    // Exactly at the limit passes.
                    let ok = try exchange(port: gateway.port, "POST /echo HTTP/1.1\r\nHost: g\r\nContent-Length: 1024\r\n\r\n"
                                          + String(repeating: "b", count: 1024))
                    #expect(ok.status == 200)
                    try expectStillServing(port: gateway.port)
                }
            }
        }

        @Test func clientThatSendsItsWholeOversizedBodyStillReadsThe413() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream, limits: #""maxBodySize": "1KB""#)) { gateway in
                    let client = try RawClient(port: gateway.port)
                    // A naive client writes all 4 MB before reading. Closing on unread input would make the kernel
                    // reset the connection and could destroy the 413; the gateway drains (lingering close) instead.
                    let body = [UInt8](repeating: UInt8(ascii: "q"), count: 4 << 20)
                    try client.send("POST /echo HTTP/1.1\r\nHost: g\r\nContent-Length: \(body.count)\r\n\r\n")
                    try client.send(body, timeout: .seconds(20))
                    let response = try client.readResponse()
                    try expectProblem(response, status: 413, code: "REQUEST_TOO_LARGE", close: true)
                    client.shutdownWrite()
                    #expect(client.waitForClose())
                    #expect(upstream.requestCount == 0)
                    try expectStillServing(port: gateway.port)
                }
            }
        }

        @Test func chunkedBodyOverLimitIs413WhileStreaming() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream, limits: #""maxBodySize": "1KB""#)) { gateway in
                    let client = try RawClient(port: gateway.port)
                    let piece = String(repeating: "z", count: 800)
                    // No terminating chunk: the 413 must come from counting, not from the end of the body.
                    try client.send("POST /echo HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    + "320\r\n\(piece)\r\n" + "320\r\n\(piece)\r\n")
                    let response = try client.readResponse()
                    try expectProblem(response, status: 413, code: "REQUEST_TOO_LARGE", close: true)
                    #expect(client.waitForClose())
                    try expectStillServing(port: gateway.port)
                }
            }
        }

        @Test func headOverLimitIs431() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream, limits: #""maxHeaderSize": "2KB""#)) { gateway in
                    let client = try RawClient(port: gateway.port)
                    try client.send(get("/ping", headers: ["X-Big: " + String(repeating: "h", count: 4000)]))
                    let response = try client.readResponse()
                    try expectProblem(response, status: 431, code: "REQUEST_HEADERS_TOO_LARGE", close: true)
                    #expect(client.waitForClose())
                    // Many small headers adding up past the limit too.
                    let many = (0..<100).map { "X-H\($0): " + String(repeating: "v", count: 40) }
                    let client2 = try RawClient(port: gateway.port)
                    try client2.send(get("/ping", headers: many))
                    try expectProblem(try client2.readResponse(), status: 431, code: "REQUEST_HEADERS_TOO_LARGE", close: true)
                    #expect(client2.waitForClose())
                    // A head under the limit is fine.
                    let small = try exchange(port: gateway.port, get("/ping", headers: ["X-Small: " + String(repeating: "s", count: 500)]))
                    #expect(small.status == 200)
                }
            }
        }

        @Test func slowlorisClientIsDisconnectedAfterHeaderTimeout() async throws {
            try await withUpstream { upstream in
                let limits = #""headerTimeout": "500ms", "idleTimeout": "30s""#
                try await withGateway(Self.config(upstream: upstream, limits: limits)) { gateway in
                    let port = gateway.port
                    let (closed, elapsed) = try await onThread { () throws -> (Bool, Duration) in
                        let client = try RawClient(port: port)
                        let start = ContinuousClock.now
                        try client.send("GET /ping HTTP/1.1\r\nHost: g\r\nX-Slow: ")
                        // Trickle one byte every 50 ms (deliberately slow) and never finish the head.
                        while ContinuousClock.now - start < .seconds(5) {
                            Thread.sleep(forTimeInterval: 0.05)
                            do { try client.send("a", timeout: .seconds(1)) } catch { return (true, ContinuousClock.now - start) }
                            if client.waitForClose(timeout: .milliseconds(1)) { return (true, ContinuousClock.now - start) }
                        }
                        return (false, ContinuousClock.now - start)
                    }
                    #expect(closed, "a trickling client must be cut off")
                    #expect(elapsed >= .milliseconds(450), "cut off too early: \(elapsed)")
                    #expect(elapsed < .seconds(3), "cut off too late: \(elapsed)")
                    try expectStillServing(port: gateway.port)
                }
            }
        }

        @Test func idleKeepAliveConnectionClosesAfterIdleTimeout() async throws {
            try await withUpstream { upstream in
                let limits = #""headerTimeout": "10s", "idleTimeout": "600ms""#
                try await withGateway(Self.config(upstream: upstream, limits: limits)) { gateway in
                    let client = try RawClient(port: gateway.port)
                    try client.send(get("/ping"))
                    #expect(try client.readResponse().status == 200)
                    let start = ContinuousClock.now
                    #expect(client.waitForClose(timeout: .seconds(5)))
                    let elapsed = ContinuousClock.now - start
                    #expect(elapsed >= .milliseconds(500), "closed too early: \(elapsed)")
                    #expect(elapsed < .seconds(3), "closed too late: \(elapsed)")
                    // A request in flight longer than the idle timeout is not cut.
                    let busy = try RawClient(port: gateway.port)
                    try busy.send(get("/echo/delay/900"))
                    #expect(try busy.readResponse().status == 200)
                }
            }
        }

        /// Each malformed or ambiguous request: 400 problem+json BAD_REQUEST, Connection: close, the connection
        /// really closed, and the gateway still serving afterwards.
        static let smuggling: [(String, String)] = [
            ("Content-Length and Transfer-Encoding",
             "POST /echo HTTP/1.1\r\nHost: g\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            ("Transfer-Encoding and Content-Length",
             "POST /echo HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"),
            ("duplicate equal Content-Length",
             "POST /echo HTTP/1.1\r\nHost: g\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
            ("duplicate different Content-Length",
             "POST /echo HTTP/1.1\r\nHost: g\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
            ("Content-Length list", "POST /echo HTTP/1.1\r\nHost: g\r\nContent-Length: 5, 5\r\n\r\nhello"),
            ("signed Content-Length", "POST /echo HTTP/1.1\r\nHost: g\r\nContent-Length: +5\r\n\r\nhello"),
            ("negative Content-Length", "POST /echo HTTP/1.1\r\nHost: g\r\nContent-Length: -1\r\n\r\n"),
            ("non-numeric Content-Length", "POST /echo HTTP/1.1\r\nHost: g\r\nContent-Length: abc\r\n\r\n"),
            ("unknown transfer coding", "POST /echo HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: gzip\r\n\r\n"),
            ("coding list ending in chunked",
             "POST /echo HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
            ("chunked not last", "POST /echo HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"),
            ("two Transfer-Encoding headers",
             "POST /echo HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            ("obfuscated chunked", "POST /echo HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"),
            ("obs-fold", "GET /ping HTTP/1.1\r\nHost: g\r\nX-Folded: a\r\n b\r\n\r\n"),
            ("obs-fold on Transfer-Encoding",
             "POST /echo HTTP/1.1\r\nHost: g\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"),
            ("NUL in header value", "GET /ping HTTP/1.1\r\nHost: g\r\nX-Bad: a\u{0}b\r\n\r\n"),
            ("CR in header value", "GET /ping HTTP/1.1\r\nHost: g\r\nX-Bad: a\rb\r\n\r\n"),
            ("LF in header value", "GET /ping HTTP/1.1\r\nHost: g\r\nX-Bad: a\nb\r\n\r\n"),
            ("space before colon", "POST /echo HTTP/1.1\r\nHost: g\r\nContent-Length : 5\r\n\r\nhello"),
            ("absolute-form for another host", "GET http://evil.test/ping HTTP/1.1\r\nHost: g\r\n\r\n"),
            ("absolute-form for another host with port", "GET http://g:8080/ping HTTP/1.1\r\nHost: g\r\n\r\n"),
            ("invalid method token", "G@T /ping HTTP/1.1\r\nHost: g\r\n\r\n"),
            ("unknown method", "FROB /ping HTTP/1.1\r\nHost: g\r\n\r\n"),
            ("lowercase method", "get /ping HTTP/1.1\r\nHost: g\r\n\r\n"),
            ("missing Host", "GET /ping HTTP/1.1\r\n\r\n"),
            ("two Host headers", "GET /ping HTTP/1.1\r\nHost: g\r\nHost: h\r\n\r\n"),
            ("chunked in HTTP/1.0", "POST /echo HTTP/1.0\r\nHost: g\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            // A body that is itself a request, framed by a Content-Length that Connection asks to drop.
            ("Connection nominates Content-Length",
             "POST /echo HTTP/1.1\r\nHost: g\r\nConnection: content-length\r\nContent-Length: \(smuggledRequest.utf8.count)\r\n\r\n"
                + smuggledRequest),
            ("Connection nominates Transfer-Encoding",
             "POST /echo HTTP/1.1\r\nHost: g\r\nConnection: keep-alive, Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "\(String(smuggledRequest.utf8.count, radix: 16))\r\n\(smuggledRequest)\r\n0\r\n\r\n"),
            ("Connection nominates Host", "GET /echo HTTP/1.1\r\nHost: g\r\nConnection: HOST\r\n\r\n"),
            ("Transfer_Encoding beside Content-Length",
             "POST /echo HTTP/1.1\r\nHost: g\r\nContent-Length: 5\r\nTransfer_Encoding: chunked\r\n\r\nhello"),
            ("Content_Length beside Content-Length",
             "POST /echo HTTP/1.1\r\nHost: g\r\nContent-Length: 5\r\nContent_Length: 0\r\n\r\nhello"),
            ("X_Forwarded_For lookalike", "GET /echo HTTP/1.1\r\nHost: g\r\nX_Forwarded_For: 10.0.0.1\r\n\r\n"),
            ("path climbing above the root", "GET /echo/../../admin HTTP/1.1\r\nHost: g\r\n\r\n"),
            ("encoded dots climbing above the root", "GET /echo/%2e%2e/%2E%2E/admin HTTP/1.1\r\nHost: g\r\n\r\n"),
            ("encoded slash in the path", "GET /echo/a%2Fb HTTP/1.1\r\nHost: g\r\n\r\n"),
            ("encoded backslash in the path", "GET /echo/a%5cb HTTP/1.1\r\nHost: g\r\n\r\n"),
            ("raw backslash in the path", "GET /echo/..\\..\\admin HTTP/1.1\r\nHost: g\r\n\r\n"),
            ("encoded NUL in the path", "GET /echo/a%00b HTTP/1.1\r\nHost: g\r\n\r\n"),
            ("malformed escape in the path", "GET /echo/a%zz HTTP/1.1\r\nHost: g\r\n\r\n"),
            ("dot segment with parameters", "GET /echo/..;/admin HTTP/1.1\r\nHost: g\r\n\r\n"),
            ("fragment in the target", "GET /echo# HTTP/1.1\r\nHost: g\r\n\r\n"),
            ("fragment in the query", "GET /echo?a=1#x HTTP/1.1\r\nHost: g\r\n\r\n"),
            ("CONNECT with a declared body", "CONNECT /echo HTTP/1.1\r\nHost: g\r\nContent-Length: 40\r\n\r\n"),
        ]
        static let smuggledRequest = "GET /smuggled HTTP/1.1\r\nHost: g\r\n\r\n"

        @Test(arguments: EdgeProtocol.smuggling.indices)
        func ambiguousOrMalformedRequestIsRefusedAndClosed(_ index: Int) async throws {
            let (name, request) = Self.smuggling[index]
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream)) { gateway in
                    let client = try RawClient(port: gateway.port)
                    try client.send(request)
                    let response: RawResponse
                    do {
                        response = try client.readResponse(timeout: .seconds(5))
                    } catch {
                        Issue.record("\(name): no response: \(error)")
                        return
                    }
                    #expect(response.status == 400, "\(name): got \(response.status) \(response.bodyText)")
                    if response.status == 400 {
                        try expectProblem(response, status: 400, code: "BAD_REQUEST", close: true)
                    }
                    #expect(client.waitForClose(), "\(name): connection left open")
                    #expect(upstream.requestCount == 0, "\(name): reached the upstream")
                    try expectStillServing(port: gateway.port)
                }
            }
        }

        @Test func sameHostAbsoluteFormIsAccepted() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream)) { gateway in
                    let response = try exchange(port: gateway.port, "GET http://g/echo/x?q=1 HTTP/1.1\r\nHost: g\r\n\r\n")
                    #expect(response.status == 200)
                    #expect(try TestUpstream.parseEcho(response.body).uri == "/echo/x?q=1")
                }
            }
        }
    }
}
