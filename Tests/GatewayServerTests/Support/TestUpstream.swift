import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A real HTTP/1.1 upstream on 127.0.0.1:<ephemeral>, in the test process. Behaviour is chosen by path
/// (anywhere in the path, so it works behind any base path or path template):
///
/// - default: 200 JSON echo `{"method","uri","headers":[[name,value],...],"bodyLength","connection"}`
///   (the request body is counted, never kept, so uploads of any size cost no memory)
/// - `/delay/MS/...`: the echo, after MS milliseconds
/// - `/slowbody/MS`: 2000 bytes (Content-Length), the first half at once and the rest after MS milliseconds
/// - `/bytes/N`: N bytes of body (Content-Length), written in 64 KB pieces only while the channel is writable
/// - `/chunked/N`: N bytes as a chunked response in 1000-byte chunks
/// - `/reset`: closes the connection (RST) without answering once the head arrives
/// - `/close`: closes the connection (FIN) without answering
/// - `/status/CODE`: the echo with status CODE
/// - `/hop-response`: the echo plus hop-by-hop response headers (`Connection: x-upstream-private`, ...)
final class TestUpstream: Sendable {
    struct Echo: Sendable {
        let method: String
        let uri: String
        let headers: [(String, String)]
        let bodyLength: Int
        let connection: Int

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
        func headerValues(_ name: String) -> [String] {
            headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
        }
    }

    let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    private let counters: UpstreamCounters
    let port: Int

    /// Connections accepted so far.
    var connectionCount: Int { counters.value.withLock { $0.connections } }
    /// Request heads received so far.
    var requestCount: Int { counters.value.withLock { $0.requests } }

    private init(group: MultiThreadedEventLoopGroup, channel: Channel, counters: UpstreamCounters) {
        self.group = group
        self.channel = channel
        self.counters = counters
        self.port = channel.localAddress!.port!
    }

    /// `tls`: serve HTTPS with this certificate and key (PEM files) instead of plain HTTP.
    static func start(threads: Int = 1, tls: (cert: String, key: String)? = nil) async throws -> TestUpstream {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let counters = UpstreamCounters()
        let context = try tls.map(ExternalTool.serverContext)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
                    let index = counters.value.withLock { $0.connections += 1; return $0.connections }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: true)
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandler(connection: index, counters: counters))
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        return TestUpstream(group: group, channel: channel, counters: counters)
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    /// Parses an echo body.
    static func parseEcho(_ body: [UInt8]) throws -> Echo {
        let json = try JSON.parse(body)
        guard case .object(let o) = json,
              case .string(let method)? = o["method"], case .string(let uri)? = o["uri"],
              case .array(let headers)? = o["headers"], case .number(let bodyLength)? = o["bodyLength"],
              case .number(let connection)? = o["connection"] else {
            throw JSON.Error.invalid("not an echo: \(String(decoding: body, as: UTF8.self))")
        }
        let pairs: [(String, String)] = headers.compactMap {
            guard case .array(let p) = $0, p.count == 2, case .string(let n) = p[0], case .string(let v) = p[1] else { return nil }
            return (n, v)
        }
        return Echo(method: method, uri: uri, headers: pairs, bodyLength: Int(bodyLength), connection: Int(connection))
    }
}

private final class UpstreamCounters: Sendable {
    let value = Mutex((connections: 0, requests: 0))
}

private final class UpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let connection: Int
    private let counters: UpstreamCounters
    private var head: HTTPRequestHead?
    private var bodyLength = 0
    // Streaming `/bytes/N` state.
    private var streamRemaining = 0
    private var streaming = false
    private var chunk: ByteBuffer?

    init(connection: Int, counters: UpstreamCounters) {
        self.connection = connection
        self.counters = counters
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            bodyLength = 0
            counters.value.withLock { $0.requests += 1 }
            let path = head.uri.split(separator: "?").first.map(String.init) ?? head.uri
            if path.hasSuffix("/reset") || path.contains("/reset/") {
                // SO_LINGER 0 turns the close into a reset.
                let channel = context.channel
                (channel as? SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0))
                    .whenComplete { _ in channel.close(promise: nil) }
                self.head = nil
            } else if path.hasSuffix("/close") {
                context.close(promise: nil)
                self.head = nil
            }
        case .body(let buffer):
            bodyLength += buffer.readableBytes
        case .end:
            guard let head else { return }
            self.head = nil
            respond(context: context, head: head)
        }
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let path = head.uri.split(separator: "?").first.map(String.init) ?? head.uri
        let segments = path.split(separator: "/").map(String.init)
        func number(after name: String) -> Int? {
            guard let i = segments.firstIndex(of: name), i + 1 < segments.count else { return nil }
            return Int(segments[i + 1])
        }
        var extra: [(String, String)] = []
        // `?h=Name:Value` (repeatable, percent-encoded) adds response fields: Cache-Control, Vary, ETag, Set-Cookie.
        if let query = head.uri.split(separator: "?", maxSplits: 1).dropFirst().first {
            for pair in query.split(separator: "&") where pair.hasPrefix("h=") {
                guard let field = String(pair.dropFirst(2)).removingPercentEncoding,
                      let colon = field.firstIndex(of: ":") else { continue }
                extra.append((String(field[..<colon]), String(field[field.index(after: colon)...])))
            }
        }
        if let ms = number(after: "delay") {
            let delayedExtra = extra
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(Int64(ms))) {
                let (handler, context) = loopBound.value
                if context.channel.isActive { handler.echo(context: context, head: head, status: .ok, extraHeaders: delayedExtra) }
            }
            return
        }
        if let ms = number(after: "slowbody") {
            var headers = HTTPHeaders([("content-type", "application/octet-stream"), ("content-length", "2000")])
            for (name, value) in extra { headers.add(name: name, value: value) }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            var half = context.channel.allocator.buffer(capacity: 1000)
            half.writeRepeatingByte(UInt8(ascii: "s"), count: 1000)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(half))), promise: nil)
            let loopBound = NIOLoopBound((context, half), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(Int64(ms))) {
                let (context, half) = loopBound.value
                guard context.channel.isActive else { return }
                context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(half))), promise: nil)
                context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
            }
            return
        }
        if let n = number(after: "bytes") {
            var headers = HTTPHeaders([("content-type", "application/octet-stream"), ("content-length", String(n))])
            if !head.isKeepAlive { headers.add(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            var piece = context.channel.allocator.buffer(capacity: 64 * 1024)
            piece.writeRepeatingByte(UInt8(ascii: "x"), count: 64 * 1024)
            chunk = piece
            streamRemaining = n
            streaming = true
            keepAliveAfterStream = head.isKeepAlive
            pump(context: context)
            return
        }
        if let n = number(after: "chunked") {
            let headers = HTTPHeaders([("content-type", "application/octet-stream"), ("transfer-encoding", "chunked")])
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            var remaining = n
            while remaining > 0 {
                let size = min(1000, remaining)
                var piece = context.channel.allocator.buffer(capacity: size)
                piece.writeRepeatingByte(UInt8(ascii: "c"), count: size)
                context.write(wrapOutboundOut(.body(.byteBuffer(piece))), promise: nil)
                remaining -= size
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        if let code = number(after: "status") {
            echo(context: context, head: head, status: HTTPResponseStatus(statusCode: code))
            return
        }
        if path.hasSuffix("/hop-response") {
            extra = [("Connection", "x-upstream-private"), ("X-Upstream-Private", "secret"),
                     ("Keep-Alive", "timeout=5"), ("X-Upstream-Public", "ok"), ("X-Request-Id", "upstream-made-this")]
        }
        echo(context: context, head: head, status: .ok, extraHeaders: extra)
    }

    private var keepAliveAfterStream = true

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if streaming && context.channel.isWritable { pump(context: context) }
        context.fireChannelWritabilityChanged()
    }

    private func pump(context: ChannelHandlerContext) {
        while streaming && streamRemaining > 0 && context.channel.isWritable {
            let size = min(streamRemaining, chunk!.readableBytes)
            streamRemaining -= size
            context.write(wrapOutboundOut(.body(.byteBuffer(chunk!.getSlice(at: chunk!.readerIndex, length: size)!))), promise: nil)
            if !context.channel.isWritable || streamRemaining == 0 { context.flush() }
        }
        if streaming && streamRemaining == 0 {
            streaming = false
            let keepAlive = keepAliveAfterStream
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                if !keepAlive { context.close(promise: nil) }
            }
        }
    }

    private func echo(context: ChannelHandlerContext, head: HTTPRequestHead, status: HTTPResponseStatus,
                      extraHeaders: [(String, String)] = []) {
        var json: [UInt8] = Array(#"{"method":"#.utf8)
        JSON.appendString(head.method.rawValue, to: &json)
        json += Array(#","uri":"#.utf8)
        JSON.appendString(head.uri, to: &json)
        json += Array(#","headers":["#.utf8)
        for (i, (name, value)) in head.headers.enumerated() {
            if i > 0 { json.append(UInt8(ascii: ",")) }
            json.append(UInt8(ascii: "["))
            JSON.appendString(name, to: &json)
            json.append(UInt8(ascii: ","))
            JSON.appendString(value, to: &json)
            json.append(UInt8(ascii: "]"))
        }
        json += Array("],\"bodyLength\":\(bodyLength),\"connection\":\(connection)}".utf8)
        var headers = HTTPHeaders([("content-type", "application/json"), ("content-length", String(json.count))])
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        if !head.isKeepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        if status.mayHaveResponseBody && head.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: json.count)
            buffer.writeBytes(json)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let keepAlive = head.isKeepAlive
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
    }
}

extension HTTPResponseStatus {
    var mayHaveResponseBody: Bool {
        !(100..<200).contains(code) && code != 204 && code != 304
    }
}
