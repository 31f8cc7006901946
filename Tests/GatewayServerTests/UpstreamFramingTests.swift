import Foundation
import GatewayConfig
import GatewayServer
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

extension GatewayServerTests {
    /// Bytes an upstream sends past a response's framed end (after Content-Length, a body on HEAD/204/304, after
    /// the chunked terminator, ...) must never be read as the next request's response, whoever takes the pooled
    /// connection next: a later request on the same client connection, a pipelined request, or a request queued
    /// for the connection at the pool's cap. Every case's leftover is a complete fake response, `SMUGGLED`.
    @Suite struct UpstreamFraming {
        struct LeakCase: Sendable, CustomTestStringConvertible {
            let name: String
            let method: String
            let status: Int
            let body: String
            var testDescription: String { name }
            var path: String { "/leak/" + name }
            var isHead: Bool { method == "HEAD" }
            func request(_ prefix: String = "") -> String {
                "\(method) \(prefix)\(path) HTTP/1.1\r\nHost: gateway.test\r\n\r\n"
            }
        }

        static let cases: [LeakCase] = [
            LeakCase(name: "content-length", method: "GET", status: 200, body: "hello"),
            LeakCase(name: "content-length-zero", method: "GET", status: 200, body: ""),
            LeakCase(name: "head", method: "HEAD", status: 200, body: ""),
            LeakCase(name: "no-content", method: "GET", status: 204, body: ""),
            LeakCase(name: "not-modified", method: "GET", status: 304, body: ""),
            LeakCase(name: "chunked", method: "GET", status: 200, body: "hello"),
            LeakCase(name: "chunked-trailers", method: "GET", status: 200, body: "hello"),
            LeakCase(name: "interim", method: "GET", status: 200, body: "hello"),
        ]

        static func config(_ upstream: ScriptedUpstream) -> String {
            TestGateway.config(routes: #"{ "route": "ANY /{proxy+}", "integration": { "type": "http", "url": "\#(upstream.url)" } }"#)
        }

        func expectFirst(_ response: RawResponse, _ leak: LeakCase) {
            #expect(response.status == leak.status, "\(leak.name): \(response.status)")
            #expect(response.bodyText == leak.body, "\(leak.name): \(response.bodyText.debugDescription)")
        }

        func expectNext(_ response: RawResponse, _ leak: LeakCase) {
            #expect(response.status == 200, "\(leak.name): \(response.status)")
            #expect(response.bodyText == "next", "\(leak.name): the next request got \(response.bodyText.debugDescription)")
        }

        /// The same client connection asks again once the first response is in.
        @Test(arguments: cases) func aLaterRequestNeverReadsTheLeftovers(_ leak: LeakCase) async throws {
            try await withScriptedUpstream { upstream in
                try await withPoolGateway(Self.config(upstream)) { port in
                    let client = try RawClient(port: port)
                    try client.send(leak.request())
                    expectFirst(try client.readResponse(headRequest: leak.isHead), leak)
                    try client.send(get("/next"))
                    expectNext(try client.readResponse(), leak)
                    #expect(upstream.connectionCount == 2, "\(leak.name): the connection with leftovers was reused")
                }
            }
        }

        /// Both requests in one write: the second is queued in the gateway and takes the upstream connection back
        /// from the pool the moment the first response ends, while the leftovers are still in the same read.
        @Test(arguments: cases) func aPipelinedRequestNeverReadsTheLeftovers(_ leak: LeakCase) async throws {
            try await withScriptedUpstream { upstream in
                try await withPoolGateway(Self.config(upstream)) { port in
                    let client = try RawClient(port: port)
                    try client.send(leak.request("/slow") + get("/next"))
                    expectFirst(try client.readResponse(headRequest: leak.isHead), leak)
                    expectNext(try client.readResponse(), leak)
                    #expect(upstream.connectionCount == 2, "\(leak.name): the connection with leftovers was reused")
                }
            }
        }

        /// One connection per target: a second client's request waits in the pool's queue and is handed the
        /// connection synchronously when the first response ends.
        @Test(arguments: cases) func aQueuedWaiterNeverReadsTheLeftovers(_ leak: LeakCase) async throws {
            try await withScriptedUpstream { upstream in
                try await withPoolGateway(Self.config(upstream), maxUpstreamConnections: 1) { port in
                    let first = try RawClient(port: port)
                    try first.send(leak.request("/hold"))
                    #expect(await eventually { upstream.heldCount == 1 }, "the first request never reached the upstream")
                    let second = try RawClient(port: port)
                    try second.send(get("/next"))
                    // The only connection is busy: the second request can only wait in the pool's queue.
                    #expect(second.staysOpen(for: .milliseconds(500)), "\(leak.name): answered without a connection")
                    upstream.releaseHeld()
                    expectFirst(try first.readResponse(headRequest: leak.isHead), leak)
                    expectNext(try second.readResponse(), leak)
                    #expect(upstream.connectionCount == 2, "\(leak.name): the connection with leftovers was reused")
                }
            }
        }

        /// Bytes that arrive while the connection sits idle in the pool close it: the next request gets a new one.
        @Test func bytesOnAnIdleConnectionCloseIt() async throws {
            try await withScriptedUpstream { upstream in
                try await withPoolGateway(Self.config(upstream)) { port in
                    let client = try RawClient(port: port)
                    try client.send(get("/late"))
                    let first = try client.readResponse()
                    #expect(first.status == 200 && first.bodyText == "hello")
                    #expect(await eventually { upstream.closedCount == 1 }, "the gateway kept the idle connection that got bytes")
                    try client.send(get("/next"))
                    let next = try client.readResponse()
                    #expect(next.status == 200 && next.bodyText == "next", "got \(next.bodyText.debugDescription)")
                    #expect(upstream.connectionCount == 2)
                }
            }
        }

        /// The gateway never asks an upstream to switch protocols (Upgrade is hop-by-hop), so a 101 is a protocol
        /// error: the client gets a 502, never a 101 while nothing was upgraded.
        @Test func anUpstream101IsA502NeverRelayed() async throws {
            try await withScriptedUpstream { upstream in
                try await withPoolGateway(Self.config(upstream)) { port in
                    let client = try RawClient(port: port)
                    try client.send(get("/switching", headers: ["Connection: Upgrade", "Upgrade: h2c"]))
                    try expectProblem(try client.readResponse(), status: 502, code: "INTEGRATION_FAILURE")
                }
            }
        }

        /// A chunk size line with a space and junk after the size is an upstream protocol error: the malformed
        /// body never reaches the client, which gets a 502 (the head was still held, so nothing was written yet).
        @Test func aMalformedChunkSizeLineIsNotForwarded() async throws {
            try await withScriptedUpstream { upstream in
                try await withPoolGateway(Self.config(upstream)) { port in
                    let client = try RawClient(port: port)
                    try client.send(get("/bad-chunk"))
                    let response = try client.readResponse()
                    try expectProblem(response, status: 502, code: "INTEGRATION_FAILURE")
                }
            }
        }
    }
}

// MARK: - support

/// A gateway on one event loop (so every client shares one upstream pool), with a chosen pool cap.
func withPoolGateway<T>(_ config: String, maxUpstreamConnections: Int = 8,
                        _ body: (_ port: Int) async throws -> T) async throws -> T {
    let directory = try TestGateway.makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let configPath = directory + "/gateway.json"
    try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    let result = ConfigLoader.load(path: configPath, environment: [:])
    guard let snapshot = result.snapshot else {
        throw TestGatewayError(description: "config rejected: " + result.diagnostics.map(\.description).joined(separator: "; "))
    }
    let logger = Logger(label: "portcullis-test", factory: { _ in SwiftLogNoOpLogHandler() })
    let options = GatewayRuntime.Options(eventLoops: 1, maxUpstreamConnectionsPerLoop: maxUpstreamConnections,
                                         drainTimeout: .seconds(5))
    let runtime = try GatewayRuntime(snapshot: snapshot, configPath: configPath, options: options, logger: logger,
                                     environment: { [:] })
    try await runtime.start()
    do {
        guard let port = runtime.httpAddress?.port else { throw TestGatewayError(description: "no HTTP port") }
        let value = try await body(port)
        await runtime.drainAndStop()
        return value
    } catch {
        await runtime.drainAndStop()
        throw error
    }
}

func withScriptedUpstream<T>(_ body: (ScriptedUpstream) async throws -> T) async throws -> T {
    let upstream = try await ScriptedUpstream.start()
    do {
        let value = try await body(upstream)
        await upstream.stop()
        return value
    } catch {
        await upstream.stop()
        throw error
    }
}

/// A raw TCP upstream that answers bodiless requests with exact bytes, chosen by the request path:
/// `/leak/NAME` a response followed by a complete fake response (`SMUGGLED`) in the same write, `/late` a
/// response and the fake one 100 ms later, `/next` a plain `next`, `/bad-chunk` a chunk size line with junk, `/switching` a 101.
/// A path under `/slow/` is answered after 100 ms; one under `/hold/` waits for `releaseHeld()`. Under `/stall/` the
/// connection is not read after the head and a 403 comes 500 ms later; under `/big-early/` 8 MB come at the head and the
/// request body is read and dropped, after which the connection serves the next request.
final class ScriptedUpstream: Sendable {
    static let smuggled = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nSMUGGLED"

    private struct State {
        var connections = 0
        var closed = 0
        var held: [(Channel, ByteBuffer)] = []
    }

    let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    private let state: Mutex<State>
    let port: Int

    var url: String { "http://127.0.0.1:\(port)" }
    var connectionCount: Int { state.withLock { $0.connections } }
    var closedCount: Int { state.withLock { $0.closed } }
    var heldCount: Int { state.withLock { $0.held.count } }

    private init(group: MultiThreadedEventLoopGroup, channel: Channel) {
        self.group = group
        self.channel = channel
        self.state = Mutex(State())
        self.port = channel.localAddress!.port!
    }

    static func start() async throws -> ScriptedUpstream {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let box = StateBox()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    box.upstream.withLock { $0 }?.state.withLock { $0.connections += 1 }
                    try channel.pipeline.syncOperations.addHandler(ScriptedHandler(box: box))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let upstream = ScriptedUpstream(group: group, channel: channel)
        box.upstream.withLock { $0 = upstream }
        return upstream
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    /// Sends every held response.
    func releaseHeld() {
        let held = state.withLock { state in
            defer { state.held.removeAll() }
            return state.held
        }
        for (channel, bytes) in held { channel.writeAndFlush(bytes, promise: nil) }
    }

    fileprivate func hold(_ channel: Channel, _ bytes: ByteBuffer) { state.withLock { $0.held.append((channel, bytes)) } }
    fileprivate func closed() { state.withLock { $0.closed += 1 } }

    /// The first write for `path`, and what follows 100 ms later.
    static func script(_ path: String) -> (now: String, later: String?) {
        let fake = smuggled
        let name = path.split(separator: "/").last.map(String.init) ?? ""
        switch name {
        case "next":
            return ("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext", nil)
        case "late":
            return ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", fake)
        case "switching":
            return ("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n", nil)
        case "bad-chunk":
            return ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 junk\r\nhello\r\n0\r\n\r\n", nil)
        case "content-length":
            return ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" + fake, nil)
        case "content-length-zero":
            return ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" + fake, nil)
        case "head":
            // What a GET would get: the fake response is this "body".
            return ("HTTP/1.1 200 OK\r\nContent-Length: \(fake.utf8.count)\r\n\r\n" + fake, nil)
        case "no-content":
            return ("HTTP/1.1 204 No Content\r\n\r\n" + fake, nil)
        case "not-modified":
            return ("HTTP/1.1 304 Not Modified\r\nContent-Length: \(fake.utf8.count)\r\n\r\n" + fake, nil)
        case "chunked":
            return ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + fake, nil)
        case "chunked-trailers":
            return ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\nX-T: 1\r\n\r\n" + fake, nil)
        case "interim":
            return ("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" + fake, nil)
        default:
            return ("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", nil)
        }
    }
}

/// Lets the child initializer, built before the upstream object, reach it.
private final class StateBox: Sendable {
    let upstream = Mutex<ScriptedUpstream?>(nil)
}

private final class ScriptedHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let box: StateBox
    private var pending: [UInt8] = []
    /// After the early answer under `/stall/`: whatever the client still sends is dropped.
    private var discardingInput = false
    /// Under `/big-early/`: request body bytes still to drop before the next head.
    private var bodyBytesToSkip = 0

    init(box: StateBox) { self.box = box }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if discardingInput { return }
        var input = unwrapInboundIn(data)
        let skipped = min(bodyBytesToSkip, input.readableBytes)
        input.moveReaderIndex(forwardBy: skipped)
        bodyBytesToSkip -= skipped
        pending += Array(buffer: input)
        while bodyBytesToSkip == 0, let end = headEnd() {
            let head = String(decoding: pending[..<end], as: UTF8.self)
            pending.removeFirst(end + 4)
            if head.split(separator: " ").dropFirst().first?.hasPrefix("/big-early/") == true {
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                let inPending = min(length, pending.count)
                pending.removeFirst(inPending)
                bodyBytesToSkip = length - inPending
            }
            let requestLine = head.split(separator: "\r\n").first ?? ""
            let parts = requestLine.split(separator: " ")
            let path = parts.count > 1 ? String(parts[1]) : ""
            answer(context: context, path: path)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        box.upstream.withLock { $0 }?.closed()
        context.fireChannelInactive()
    }

    private func headEnd() -> Int? {
        guard pending.count >= 4 else { return nil }
        for i in 0...(pending.count - 4)
        where pending[i] == 13 && pending[i + 1] == 10 && pending[i + 2] == 13 && pending[i + 3] == 10 {
            return i
        }
        return nil
    }

    private func answer(context: ChannelHandlerContext, path: String) {
        let (now, later) = ScriptedUpstream.script(path)
        let bytes = ByteBuffer(string: now)
        let channel = context.channel
        if path.hasPrefix("/stall/") {
            // Stops reading at the head (the gateway's writes to it back up), then answers 500 ms later.
            discardingInput = true
            channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
            let forbidden = ByteBuffer(string: "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            channel.eventLoop.scheduleTask(in: .milliseconds(500)) { channel.writeAndFlush(forbidden, promise: nil) }
            return
        }
        if path.hasPrefix("/big-early/") {
            // Answers 8 MB at the head; its declared body is read and dropped (see `bodyBytesToSkip`).
            var big = context.channel.allocator.buffer(capacity: 8 << 20 + 64)
            big.writeString("HTTP/1.1 200 OK\r\nContent-Length: \(8 << 20)\r\n\r\n")
            big.writeRepeatingByte(UInt8(ascii: "b"), count: 8 << 20)
            context.writeAndFlush(NIOAny(big), promise: nil)
            return
        }
        if path.hasPrefix("/hold/") {
            box.upstream.withLock { $0 }?.hold(channel, bytes)
        } else if path.hasPrefix("/slow/") {
            channel.eventLoop.scheduleTask(in: .milliseconds(100)) { channel.writeAndFlush(bytes, promise: nil) }
        } else {
            context.writeAndFlush(NIOAny(bytes), promise: nil)
        }
        if let later {
            let laterBytes = ByteBuffer(string: later)
            channel.eventLoop.scheduleTask(in: .milliseconds(100)) { channel.writeAndFlush(laterBytes, promise: nil) }
        }
    }
}
