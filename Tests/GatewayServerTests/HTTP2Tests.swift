import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing
@testable import GatewayServer

extension GatewayServerTests {
    /// HTTP/2 over ALPN: the same request path as HTTP/1.1 (checked with curl and AsyncHTTPClient), NIO's h2
    /// limits as advertised, and the abuse defences driven with hand-built frames (rapid reset, CONTINUATION flood).
    @Suite struct HTTP2 {
        struct Setup {
            let directory: String
            let certificate: (cert: String, key: String)
        }

        static let maxHeaderSize = 8192

        static func config(_ setup: Setup, upstreamPort: Int, http2: Bool = true, idleTimeout: String = "60s",
                           maxBodySize: String = "64KB", waf: String? = nil) -> String {
            let wafMember = waf.map { #""waf": \#($0), "# } ?? ""
            return #"""
            { \#(wafMember)"listen": { "http": "127.0.0.1:0", "https": "127.0.0.1:0" }, "admin": { "listen": "127.0.0.1:0" },
              "tls": { "certificates": [ { "cert": "\#(setup.certificate.cert)", "key": "\#(setup.certificate.key)" } ], "http2": \#(http2) },
              "limits": { "maxBodySize": "\#(maxBodySize)", "maxHeaderSize": "\#(maxHeaderSize)B", "idleTimeout": "\#(idleTimeout)" },
              "accessLog": { "path": "access.log" },
              "apis": [ { "name": "test", "routes": [
                { "route": "GET /ping", "integration": { "type": "mock", "body": "pong" } },
                { "route": "ANY /echo/{p+}", "integration": { "type": "http", "url": "http://127.0.0.1:\#(upstreamPort)" } },
                { "route": "GET /cached/{p+}", "integration": { "type": "http", "url": "http://127.0.0.1:\#(upstreamPort)" },
                  "cache": { "ttl": 60 } } ] } ] }
            """#
        }

        static func withH2Gateway(http2: Bool = true, idleTimeout: String = "60s", maxBodySize: String = "64KB",
                                  waf: String? = nil, _ body: (Setup, TestGateway, TestUpstream, _ httpsPort: Int) async throws -> Void) async throws {
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let setup = Setup(directory: directory, certificate: try ExternalTool.makeCertificate(
                names: ["localhost", "127.0.0.1"], directory: directory, file: "localhost"))
            try await withUpstream { upstream in
                try await withGateway(config(setup, upstreamPort: upstream.port, http2: http2, idleTimeout: idleTimeout,
                                                   maxBodySize: maxBodySize, waf: waf)) { gateway in
                    try await body(setup, gateway, upstream, try #require(gateway.runtime.httpsAddress?.port))
                }
            }
        }

        /// curl over HTTP/2 (or `--http1.1`); stdout ends with a line "HTTP_VERSION STATUS".
        static func curl(_ setup: Setup, _ port: Int, _ path: String, _ extra: [String] = [], input: String = "",
                         version: String = "--http2") throws -> (version: String, status: Int, body: String, size: Int, stderr: String) {
            let result = try ExternalTool.run("/usr/bin/curl", ["-sS", version, "--cacert", setup.certificate.cert]
                                              + extra + ["-w", "\n%{http_version} %{http_code} %{size_download}",
                                                         "https://localhost:\(port)\(path)"],
                                              input: input)
            var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            let last = lines.popLast().map(String.init) ?? ""
            let parts = last.split(separator: " ").map(String.init)
            return (parts.first ?? "", parts.count > 1 ? Int(parts[1]) ?? 0 : 0,
                    lines.joined(separator: "\n"), parts.count > 2 ? Int(parts[2]) ?? -1 : -1, result.stderr)
        }

        /// The WAF on h2 streams: a rule blocks before routing, and a body streamed without Content-Length is cut off
        /// when it crosses a `bodySizeOver` block rule's size.
        @Test func theWAFFiltersHTTP2Streams() async throws {
            let waf = #"""
                { "rules": [ { "name": "no-admin", "match": { "path": "/echo/admin/**" }, "action": "block" },
                             { "name": "big", "match": { "path": "/echo/upload", "bodySizeOver": 1000 }, "action": "block" } ] }
                """#
            try await Self.withH2Gateway(waf: waf) { setup, gateway, upstream, port in
                let admin = try Self.curl(setup, port, "/echo/%61dmin/x")
                #expect(admin.version == "2" && admin.status == 403 && admin.body.contains("WAF_FILTERED"))
                let streamed = try Self.curl(setup, port, "/echo/upload", ["-T", "-"], input: String(repeating: "b", count: 30_000))
                #expect(streamed.status == 403 && streamed.body.contains("WAF_FILTERED"), "\(streamed)")
                let small = try Self.curl(setup, port, "/echo/upload", ["-T", "-"], input: String(repeating: "b", count: 500))
                #expect(small.status == 200)
            }
        }

        @Test func h2IsNegotiatedAndTakesTheSameRequestPath() async throws {
            try await Self.withH2Gateway { setup, gateway, upstream, port in
                let ping = try Self.curl(setup, port, "/ping")
                #expect(ping.version == "2" && ping.status == 200 && ping.body == "pong", "\(ping)")

                let echoed = try Self.curl(setup, port, "/echo/a/b?x=1", ["-D", "-"])
                #expect(echoed.version == "2" && echoed.status == 200, "\(echoed)")
                let headerBlock = echoed.body.components(separatedBy: "\r\n\r\n").first ?? ""
                let jsonText = echoed.body.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
                let echo = try TestUpstream.parseEcho(Array(jsonText.utf8))
                #expect(echo.method == "GET")
                #expect(echo.header("x-forwarded-proto") == "https")
                #expect(echo.header("host") == "127.0.0.1:\(upstream.port)")
                #expect(echo.header("x-forwarded-host") == "localhost:\(port)")
                let requestId = try #require(echo.header("x-request-id"))
                #expect(headerBlock.lowercased().contains("x-request-id: \(requestId)"))

                // A body with Content-Length, and one streamed without it (forwarded chunked).
                let sized = try Self.curl(setup, port, "/echo/upload", ["--data-binary", "@-"], input: String(repeating: "a", count: 20_000))
                let sizedEcho = try TestUpstream.parseEcho(Array(sized.body.utf8))
                #expect(sized.status == 200 && sizedEcho.bodyLength == 20_000 && sizedEcho.method == "POST", "\(sized)")
                #expect(sizedEcho.header("content-length") == "20000")
                let streamed = try Self.curl(setup, port, "/echo/stream", ["-T", "-"], input: String(repeating: "b", count: 30_000))
                let streamedEcho = try TestUpstream.parseEcho(Array(streamed.body.utf8))
                #expect(streamed.status == 200 && streamedEcho.bodyLength == 30_000 && streamedEcho.method == "PUT", "\(streamed)")
                #expect(streamedEcho.header("transfer-encoding") == "chunked")

                // Large and chunked upstream responses arrive whole, as DATA frames.
                let large = try Self.curl(setup, port, "/echo/bytes/3000000", ["-o", "/dev/null"])
                #expect(large.status == 200 && large.size == 3_000_000, "\(large)")
                let chunked = try Self.curl(setup, port, "/echo/chunked/250000", ["-o", "/dev/null"])
                #expect(chunked.status == 200 && chunked.size == 250_000, "\(chunked)")

                let head = try Self.curl(setup, port, "/echo/h", ["-I"])
                #expect(head.version == "2" && head.status == 200, "\(head)")

                let missing = try Self.curl(setup, port, "/nowhere")
                #expect(missing.status == 404 && missing.body.contains("\"code\":\"RESOURCE_NOT_FOUND\""), "\(missing)")

                let lines = try await AccessLog.lines(in: gateway, count: 8)
                #expect(lines.allSatisfy { $0["protocol"]?.string == "HTTP/2.0" }, "\(lines)")
            }
        }

        @Test func http11IsAlwaysOfferedAndH2CanBeTurnedOff() async throws {
            try await Self.withH2Gateway { setup, _, _, port in
                let http11 = try Self.curl(setup, port, "/ping", version: "--http1.1")
                #expect(http11.version == "1.1" && http11.body == "pong", "\(http11)")
                let h2 = try ExternalTool.run("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-alpn", "h2"])
                #expect(h2.stdout.contains("ALPN protocol: h2"))
                let h1 = try ExternalTool.run("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-alpn", "http/1.1"])
                #expect(h1.stdout.contains("ALPN protocol: http/1.1"))
            }
            try await Self.withH2Gateway(http2: false) { setup, _, _, port in
                let fallback = try Self.curl(setup, port, "/ping")
                #expect(fallback.version == "1.1" && fallback.body == "pong", "\(fallback)")
                let h2 = try ExternalTool.run("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-alpn", "h2"])
                #expect(h2.stdout.contains("No ALPN negotiated"))
            }
        }

        @Test func concurrentRequestsShareOneConnection() async throws {
            try await Self.withH2Gateway { setup, gateway, upstream, port in
                var tls = TLSConfiguration.makeClientConfiguration()
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(setup.certificate.cert))
                let client = HTTPClient(eventLoopGroupProvider: .singleton,
                                        configuration: HTTPClient.Configuration(tlsConfiguration: tls))
                defer { _ = client.shutdown() }
                let results = try await withThrowingTaskGroup(of: (HTTPVersion, UInt, String).self) { group in
                    for n in 0..<40 {
                        group.addTask {
                            let response = try await client.execute(
                                HTTPClientRequest(url: "https://localhost:\(port)/echo/delay/50/\(n)"), timeout: .seconds(10))
                            let body = try await response.body.collect(upTo: 1 << 16)
                            return (response.version, response.status.code, String(buffer: body))
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(results.count == 40)
                #expect(results.allSatisfy { $0.0 == .http2 && $0.1 == 200 })
                let uris = Set(try results.map { try TestUpstream.parseEcho(Array($0.2.utf8)).uri })
                #expect(uris.count == 40, "each stream got its own response")
                #expect(await gateway.runtime.openConnections() == 1, "the client multiplexed onto one connection")
            }
        }

        @Test func limitsAndErrorsMatchHTTP11() async throws {
            try await Self.withH2Gateway { setup, _, upstream, port in
                let declared = try Self.curl(setup, port, "/echo/big", ["--data-binary", "@-"], input: String(repeating: "a", count: 100_000))
                #expect(declared.status == 413 && declared.body.contains("\"code\":\"REQUEST_TOO_LARGE\""), "\(declared)")
                let streamed = try Self.curl(setup, port, "/echo/big", ["-T", "-"], input: String(repeating: "a", count: 100_000))
                #expect(streamed.status == 413 && streamed.body.contains("\"code\":\"REQUEST_TOO_LARGE\""), "\(streamed)")

                let misdirected = try Self.curl(setup, port, "/ping", ["-H", "host: elsewhere.example"])
                #expect(misdirected.status == 421 && misdirected.body.contains("\"code\":\"MISDIRECTED_REQUEST\""), "\(misdirected)")

                let after = try Self.curl(setup, port, "/ping")
                #expect(after.status == 200 && after.body == "pong")
                #expect(upstream.requestCount == 0 || upstream.requestCount <= 1, "oversized bodies were not forwarded whole")
            }
        }

        // MARK: raw frames

        /// An h2 connection speaking raw frames, past the handshake (the server's SETTINGS has arrived).
        static func rawConnection(_ port: Int) async throws -> TLSTestClient {
            let client = try await TLSTestClient.connect(port: port, serverName: "localhost", applicationProtocols: ["h2"])
            try await client.send(HTTP2Frames.handshake())
            let ready = await eventually { HTTP2Frames.parse(client.received).contains { $0.type == HTTP2Frames.FrameType.settings.rawValue } }
            #expect(ready, "no SETTINGS from the server")
            return client
        }

        static func frames(_ client: TLSTestClient) -> [HTTP2Frames.Frame] { HTTP2Frames.parse(client.received) }

        @Test func settingsAdvertiseLimitsAndRawRequestsWork() async throws {
            try await Self.withH2Gateway { _, _, _, port in
                let client = try await Self.rawConnection(port)
                defer { Task { await client.close() } }
                let settings = try #require(Self.frames(client).first { $0.type == HTTP2Frames.FrameType.settings.rawValue && $0.flags == 0 })
                #expect(settings.settings[0x3] == UInt32(HTTP2Limits.maxConcurrentStreams), "MAX_CONCURRENT_STREAMS")
                #expect(settings.settings[0x6] == UInt32(Self.maxHeaderSize), "MAX_HEADER_LIST_SIZE")

                let block = HTTP2Frames.requestBlock(path: "/ping", authority: "localhost:\(port)")
                try await client.send(HTTP2Frames.frame(.headers, flags: HTTP2Frames.endStream | HTTP2Frames.endHeaders, stream: 1, block))
                let answered = await eventually {
                    Self.frames(client).contains { $0.streamID == 1 && $0.type == HTTP2Frames.FrameType.data.rawValue && $0.payload == Array("pong".utf8) }
                }
                #expect(answered, "no DATA \"pong\" on stream 1")
            }
        }

        @Test func expectContinueAndSplitCookiesOverRawFrames() async throws {
            try await Self.withH2Gateway { _, _, _, port in
                let client = try await Self.rawConnection(port)
                defer { Task { await client.close() } }
                let block = HTTP2Frames.requestBlock(path: "/echo/expect", authority: "localhost:\(port)", method: "POST", extra: [
                    ("content-length", "5"), ("expect", "100-continue"), ("cookie", "a=1"), ("cookie", "b=2")])
                try await client.send(HTTP2Frames.frame(.headers, flags: HTTP2Frames.endHeaders, stream: 1, block))
                // The interim 100 response is a HEADERS frame sent before any body was.
                let interim = await eventually {
                    Self.frames(client).contains { $0.streamID == 1 && $0.type == HTTP2Frames.FrameType.headers.rawValue }
                }
                #expect(interim, "no 100 Continue before the body")
                try await client.send(HTTP2Frames.frame(.data, flags: HTTP2Frames.endStream, stream: 1, Array("hello".utf8)))
                let ended = await eventually {
                    Self.frames(client).contains { $0.streamID == 1 && $0.type == HTTP2Frames.FrameType.data.rawValue && $0.flags & HTTP2Frames.endStream != 0 }
                }
                #expect(ended, "the response did not end")
                let body = Self.frames(client).filter { $0.streamID == 1 && $0.type == HTTP2Frames.FrameType.data.rawValue }.flatMap(\.payload)
                let echo = try TestUpstream.parseEcho(body)
                #expect(echo.method == "POST" && echo.bodyLength == 5)
                #expect(echo.headerValues("cookie") == ["a=1; b=2"], "cookies are joined into one field for HTTP/1.1")
                #expect(echo.header("expect") == nil, "Expect is answered here, not forwarded")
                #expect(Self.frames(client).filter { $0.streamID == 1 && $0.type == HTTP2Frames.FrameType.headers.rawValue }.count == 2)
            }
        }

        @Test func aRejectedUploadDoesNotCostTheConnection() async throws {
            try await Self.withH2Gateway(maxBodySize: "1KB") { _, _, upstream, port in
                let client = try await Self.rawConnection(port)
                defer { Task { await client.close() } }
                let upload = HTTP2Frames.requestBlock(path: "/echo/big", authority: "localhost:\(port)", method: "POST")
                try await client.send(HTTP2Frames.frame(.headers, flags: HTTP2Frames.endHeaders, stream: 1, upload)
                                      + HTTP2Frames.frame(.data, stream: 1, [UInt8](repeating: 0x61, count: 8_000)))
                let rejected = await eventually {
                    Self.frames(client).contains { $0.streamID == 1 && $0.type == HTTP2Frames.FrameType.rstStream.rawValue }
                }
                #expect(rejected, "the oversized upload's stream was not reset after its 413")
                // DATA the client had in flight for the reset stream, then a new request on the same connection.
                try await client.send(HTTP2Frames.frame(.data, stream: 1, [UInt8](repeating: 0x61, count: 8_000))
                                      + HTTP2Frames.frame(.data, flags: HTTP2Frames.endStream, stream: 1, [0x61]))
                let ping = HTTP2Frames.requestBlock(path: "/ping", authority: "localhost:\(port)")
                try await client.send(HTTP2Frames.frame(.headers, flags: HTTP2Frames.endStream | HTTP2Frames.endHeaders, stream: 3, ping))
                let answered = await eventually {
                    Self.frames(client).contains { $0.streamID == 3 && $0.type == HTTP2Frames.FrameType.data.rawValue && $0.payload == Array("pong".utf8) }
                }
                #expect(answered, "a new stream after the rejected upload was not served")
                #expect(client.isOpen)
                #expect(!Self.frames(client).contains { $0.type == HTTP2Frames.FrameType.goAway.rawValue }, "no GOAWAY")
                let status = Self.frames(client).first { $0.streamID == 1 && $0.type == HTTP2Frames.FrameType.headers.rawValue }
                #expect(status != nil, "the 413 response head was sent before the reset")
                #expect(upstream.requestCount <= 1)
            }
        }

        @Test func rapidResetIsCutOffWithGoAway() async throws {
            try await Self.withH2Gateway { setup, _, upstream, port in
                let client = try await Self.rawConnection(port)
                defer { Task { await client.close() } }
                // CVE-2023-44487: open a stream and cancel it at once, over and over, far past the reset budget.
                var burst: [UInt8] = []
                for k in 0..<1000 {
                    let stream = UInt32(2 * k + 1)
                    let block = HTTP2Frames.requestBlock(path: "/echo/delay/2000/\(k)", authority: "localhost:\(port)")
                    burst += HTTP2Frames.frame(.headers, flags: HTTP2Frames.endStream | HTTP2Frames.endHeaders, stream: stream, block)
                    burst += HTTP2Frames.rstStream(stream)
                    if burst.count > 32_000 {
                        try? await client.send(burst)
                        burst.removeAll()
                    }
                }
                try? await client.send(burst)
                #expect(await client.waitForClose(), "the connection survived 1000 resets")
                let goAway = Self.frames(client).first { $0.type == HTTP2Frames.FrameType.goAway.rawValue }
                #expect(goAway?.goAwayErrorCode == HTTP2Frames.enhanceYourCalm, "GOAWAY: \(String(describing: goAway))")
                #expect(upstream.requestCount <= HTTP2Limits.maxResetFrames + 50,
                        "\(upstream.requestCount) requests reached the upstream from reset streams")
                let after = try Self.curl(setup, port, "/ping")
                #expect(after.status == 200, "the gateway still serves: \(after)")
            }
        }

        @Test func continuationFloodIsCutOff() async throws {
            try await Self.withH2Gateway { setup, _, upstream, port in
                let client = try await Self.rawConnection(port)
                defer { Task { await client.close() } }
                // A header block that never ends: HEADERS without END_HEADERS, then CONTINUATION after CONTINUATION.
                var flood = HTTP2Frames.frame(.headers, flags: HTTP2Frames.endStream, stream: 1,
                                              HTTP2Frames.requestBlock(path: "/echo/flood", authority: "localhost:\(port)"))
                for k in 0..<200 {
                    flood += HTTP2Frames.frame(.continuation, stream: 1, HTTP2Frames.literal(name: "x-f\(k)", value: "v"))
                }
                try? await client.send(flood)
                #expect(await client.waitForClose(), "the connection survived a CONTINUATION flood")
                #expect(Self.frames(client).contains { $0.type == HTTP2Frames.FrameType.goAway.rawValue }, "no GOAWAY")
                #expect(upstream.requestCount == 0)
                let after = try Self.curl(setup, port, "/ping")
                #expect(after.status == 200, "the gateway still serves: \(after)")
            }
        }

        @Test func oversizedHeaderListIsRefused() async throws {
            try await Self.withH2Gateway { setup, _, upstream, port in
                let client = try await Self.rawConnection(port)
                defer { Task { await client.close() } }
                let block = HTTP2Frames.requestBlock(path: "/echo/big-headers", authority: "localhost:\(port)",
                                                     extra: [("x-big", String(repeating: "h", count: 12_000))])
                try? await client.send(HTTP2Frames.frame(.headers, flags: HTTP2Frames.endStream | HTTP2Frames.endHeaders, stream: 1, block))
                let refused = await eventually {
                    !client.isOpen || Self.frames(client).contains {
                        $0.type == HTTP2Frames.FrameType.goAway.rawValue || $0.type == HTTP2Frames.FrameType.rstStream.rawValue
                            || ($0.streamID == 1 && $0.type == HTTP2Frames.FrameType.headers.rawValue)
                    }
                }
                #expect(refused, "no answer to an oversized header list")
                #expect(!Self.frames(client).contains { $0.streamID == 1 && $0.type == HTTP2Frames.FrameType.data.rawValue && $0.payload.count > 100 },
                        "the request was served")
                #expect(upstream.requestCount == 0, "an oversized header list reached the upstream")
                let after = try Self.curl(setup, port, "/ping")
                #expect(after.status == 200, "the gateway still serves: \(after)")
            }
        }

        @Test func streamsBeyondTheConcurrencyLimitAreRefused() async throws {
            try await Self.withH2Gateway { setup, _, _, port in
                let client = try await Self.rawConnection(port)
                defer { Task { await client.close() } }
                var burst: [UInt8] = []
                let streams = HTTP2Limits.maxConcurrentStreams + 5
                for k in 0..<streams {
                    let block = HTTP2Frames.requestBlock(path: "/echo/delay/1500/\(k)", authority: "localhost:\(port)")
                    burst += HTTP2Frames.frame(.headers, flags: HTTP2Frames.endStream | HTTP2Frames.endHeaders, stream: UInt32(2 * k + 1), block)
                }
                try await client.send(burst)
                let refused = await eventually {
                    Self.frames(client).contains { $0.resetErrorCode == HTTP2Frames.refusedStream || $0.type == HTTP2Frames.FrameType.goAway.rawValue }
                }
                #expect(refused, "no stream was refused past MAX_CONCURRENT_STREAMS")
                let after = try Self.curl(setup, port, "/ping")
                #expect(after.status == 200, "the gateway still serves: \(after)")
            }
        }

        @Test func idleConnectionsSayGoAwayBeforeClosing() async throws {
            try await Self.withH2Gateway(idleTimeout: "1s") { _, _, _, port in
                let client = try await Self.rawConnection(port)
                defer { Task { await client.close() } }
                let block = HTTP2Frames.requestBlock(path: "/ping", authority: "localhost:\(port)")
                try await client.send(HTTP2Frames.frame(.headers, flags: HTTP2Frames.endStream | HTTP2Frames.endHeaders, stream: 1, block))
                #expect(await eventually { Self.frames(client).contains { $0.streamID == 1 && $0.type == HTTP2Frames.FrameType.data.rawValue } })
                #expect(await client.waitForClose(timeout: .seconds(5)), "an idle h2 connection stayed open")
                let goAway = Self.frames(client).first { $0.type == HTTP2Frames.FrameType.goAway.rawValue }
                #expect(goAway?.goAwayErrorCode == 0, "GOAWAY(NO_ERROR) before the idle close: \(String(describing: goAway))")
            }
        }

        @Test func drainSendsGoAwayAndFinishesInFlightStreams() async throws {
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let setup = Setup(directory: directory, certificate: try ExternalTool.makeCertificate(
                names: ["localhost"], directory: directory, file: "localhost"))
            try await withUpstream { upstream in
                let gateway = try await TestGateway.start(Self.config(setup, upstreamPort: upstream.port))
                let port = try #require(gateway.runtime.httpsAddress?.port)
                let client = try await Self.rawConnection(port)
                let block = HTTP2Frames.requestBlock(path: "/echo/delay/500/drain", authority: "localhost:\(port)")
                try await client.send(HTTP2Frames.frame(.headers, flags: HTTP2Frames.endStream | HTTP2Frames.endHeaders, stream: 1, block))
                #expect(await eventually { upstream.requestCount == 1 })
                let started = ContinuousClock.now
                await gateway.stop()
                // The client reads on its own loop: what the gateway sent before closing is all there once it sees the close.
                #expect(await client.waitForClose(timeout: .seconds(2)))
                let frames = Self.frames(client)
                let goAway = frames.first { $0.type == HTTP2Frames.FrameType.goAway.rawValue }
                #expect(goAway?.goAwayErrorCode == 0, "GOAWAY(NO_ERROR) announces the drain: \(String(describing: goAway))")
                let response = frames.first { $0.streamID == 1 && $0.type == HTTP2Frames.FrameType.headers.rawValue }
                #expect(response != nil, "the in-flight stream was answered: \(frames.map { "\($0.type)/\($0.streamID)/\($0.flags)" })")
                #expect(frames.contains { $0.streamID == 1 && $0.flags & HTTP2Frames.endStream != 0 }, "the stream ended")
                #expect(ContinuousClock.now - started < .seconds(5), "the drain waited for its deadline")
                await client.close()
            }
        }
    }
}
