import GatewayCore
import NIOCore
import NIOEmbedded
import Testing
@testable import GatewayIntegrations

/// The request side of `UpstreamConnection` on an embedded channel: the head goes out as given, bodies raw or
/// chunk-framed, and a completed exchange returns the connection to its pool.
@Suite struct UpstreamConnectionTests {
    final class Sink: UpstreamResponseSink {
        var statuses: [Int] = []
        var body = ""
        var ended = 0
        var failures: [UpstreamError] = []
        func upstreamResponseHead(_ head: UpstreamResponseHead) { statuses.append(head.status) }
        func upstreamResponseBody(_ body: ByteBuffer) { self.body += String(buffer: body) }
        func upstreamResponseEnd() { ended += 1 }
        func upstreamReadComplete() {}
        func upstreamFailed(_ error: UpstreamError) { failures.append(error) }
        func upstreamWritabilityChanged(isWritable: Bool) {}
    }

    func withConnection(_ body: (EmbeddedChannel, UpstreamPool, UpstreamConnection) throws -> Void) throws {
        let channel = EmbeddedChannel()
        let pool = UpstreamPool(eventLoop: channel.embeddedEventLoop,
                                target: UpstreamTarget(host: "127.0.0.1", port: 9001, basePath: ""))
        let connection = UpstreamConnection(channel: channel, pool: pool)
        try channel.pipeline.syncOperations.addHandler(connection)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9001)).wait()
        try body(channel, pool, connection)
        _ = try? channel.finish()
    }

    func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    @Test func chunkedBodiesAreFramedAndEmptyWritesSkipped() throws {
        try withConnection { channel, pool, connection in
            let sink = Sink()
            let head = "POST /up HTTP/1.1\r\nhost: u\r\ntransfer-encoding: chunked\r\n\r\n"
            connection.start(head: ByteBuffer(string: head), isHeadRequest: false, chunkedBody: true, sink: sink)
            connection.writeBody(ByteBuffer(string: "hello"))
            connection.writeBody(ByteBuffer())
            connection.writeBody(ByteBuffer(string: String(repeating: "x", count: 26)))
            connection.writeEnd(flush: true)
            #expect(try written(channel) == head + "5\r\nhello\r\n" + "1a\r\n" + String(repeating: "x", count: 26)
                    + "\r\n" + "0\r\n\r\n")

            try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok"))
            #expect(sink.statuses == [201])
            #expect(sink.body == "ok")
            #expect(sink.ended == 1)
            #expect(pool.idleCount == 1, "a completed exchange goes back to the pool")
        }
    }

    @Test func contentLengthBodiesPassThroughAndTheNextRequestIsNotChunked() throws {
        try withConnection { channel, pool, connection in
            let sink = Sink()
            let head = "PUT /up HTTP/1.1\r\nhost: u\r\nContent-Length: 6\r\n\r\n"
            connection.start(head: ByteBuffer(string: head), isHeadRequest: false, chunkedBody: false, sink: sink)
            connection.writeBody(ByteBuffer(string: "abc"))
            connection.writeBody(ByteBuffer(string: "def"))
            connection.writeEnd(flush: true)
            #expect(try written(channel) == head + "abcdef")
            try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 204 No Content\r\n\r\n"))
            #expect(sink.ended == 1)
            #expect(pool.idleCount == 1)

            // The same connection, reused for a bodiless request after a chunked one must not frame anything.
            let get = "GET /again HTTP/1.1\r\nhost: u\r\n\r\n"
            connection.start(head: ByteBuffer(string: get), isHeadRequest: false, chunkedBody: false, sink: sink)
            connection.writeEnd(flush: true)
            #expect(try written(channel) == get)
        }
    }

    @Test func headRequestsExpectNoResponseBody() throws {
        try withConnection { channel, pool, connection in
            let sink = Sink()
            connection.start(head: ByteBuffer(string: "HEAD / HTTP/1.1\r\nhost: u\r\n\r\n"), isHeadRequest: true,
                             chunkedBody: false, sink: sink)
            connection.writeEnd(flush: true)
            try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n"))
            #expect(sink.statuses == [200])
            #expect(sink.ended == 1)
            #expect(pool.idleCount == 1)
        }
    }

    @Test func aResponseBeforeTheRequestEndedIsNotReused() throws {
        try withConnection { channel, pool, connection in
            let sink = Sink()
            connection.start(head: ByteBuffer(string: "POST / HTTP/1.1\r\nhost: u\r\ncontent-length: 10\r\n\r\n"),
                             isHeadRequest: false, chunkedBody: false, sink: sink)
            connection.writeBody(ByteBuffer(string: "12345"))
            try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 413 Too Large\r\ncontent-length: 0\r\n\r\n"))
            #expect(sink.ended == 1)
            #expect(pool.idleCount == 0)
        }
    }

    // MARK: bytes past a response's framed end

    static let smuggled = "HTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\nSMUGGLED"

    struct Leftover: Sendable, CustomTestStringConvertible {
        let name: String
        let isHead: Bool
        let response: String
        let status: Int
        let body: String
        var testDescription: String { name }
    }

    static let leftovers: [Leftover] = [
        Leftover(name: "content-length", isHead: false, response: "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello",
                 status: 200, body: "hello"),
        Leftover(name: "content-length 0", isHead: false, response: "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
                 status: 200, body: ""),
        Leftover(name: "HEAD", isHead: true, response: "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n", status: 200, body: ""),
        Leftover(name: "204", isHead: false, response: "HTTP/1.1 204 No Content\r\n\r\n", status: 204, body: ""),
        Leftover(name: "304", isHead: false, response: "HTTP/1.1 304 Not Modified\r\ncontent-length: 5\r\n\r\n",
                 status: 304, body: ""),
        Leftover(name: "chunked", isHead: false,
                 response: "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nx-t: 1\r\n\r\n",
                 status: 200, body: "5\r\nhello\r\n0\r\nx-t: 1\r\n\r\n"),
        Leftover(name: "1xx first", isHead: false,
                 response: "HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello",
                 status: 200, body: "hello"),
    ]

    func startGet(_ connection: UpstreamConnection, sink: UpstreamResponseSink, isHead: Bool = false) {
        let method = isHead ? "HEAD" : "GET"
        connection.start(head: ByteBuffer(string: "\(method) / HTTP/1.1\r\nhost: u\r\n\r\n"), isHeadRequest: isHead,
                         chunkedBody: false, sink: sink)
        connection.writeEnd(flush: true)
    }

    /// The response is delivered whole; the bytes after it close the connection instead of going to the pool.
    @Test(arguments: leftovers) func bytesAfterTheFramedEndCloseTheConnection(_ leftover: Leftover) throws {
        try withConnection { channel, pool, connection in
            let sink = Sink()
            startGet(connection, sink: sink, isHead: leftover.isHead)
            try channel.writeInbound(ByteBuffer(string: leftover.response + Self.smuggled))
            #expect(sink.statuses == [leftover.status])
            #expect(sink.body == leftover.body)
            #expect(sink.ended == 1)
            #expect(sink.failures.isEmpty)
            #expect(pool.idleCount == 0, "a connection with leftovers went back to the pool")
            #expect(!channel.isActive)
        }
    }

    /// The same responses without leftovers keep the connection (the control for the test above).
    @Test(arguments: leftovers) func aCleanEndKeepsTheConnection(_ leftover: Leftover) throws {
        try withConnection { channel, pool, connection in
            let sink = Sink()
            startGet(connection, sink: sink, isHead: leftover.isHead)
            try channel.writeInbound(ByteBuffer(string: leftover.response))
            #expect(sink.statuses == [leftover.status])
            #expect(sink.ended == 1)
            #expect(pool.idleCount == 1)
            #expect(channel.isActive)
        }
    }

    /// Ends its response by taking the connection straight back from the pool for a next request, as the
    /// gateway does for a pipelined request or a queued waiter.
    final class TakeBackSink: UpstreamResponseSink {
        let pool: UpstreamPool
        let next = Sink()
        var ended = 0
        var tookBack = false
        init(pool: UpstreamPool) { self.pool = pool }
        func upstreamResponseHead(_ head: UpstreamResponseHead) {}
        func upstreamResponseBody(_ body: ByteBuffer) {}
        func upstreamResponseEnd() {
            ended += 1
            guard pool.idleCount > 0 else { return }
            pool.acquire { [self] result in
                guard case .success(let connection) = result else { return }
                tookBack = true
                connection.start(head: ByteBuffer(string: "GET /next HTTP/1.1\r\nhost: u\r\n\r\n"), isHeadRequest: false,
                                 chunkedBody: false, sink: next)
                connection.writeEnd(flush: true)
            }
        }
        func upstreamReadComplete() {}
        func upstreamFailed(_ error: UpstreamError) {}
        func upstreamWritabilityChanged(isWritable: Bool) {}
    }

    @Test(arguments: leftovers) func aRequestThatTakesTheConnectionAtOnceNeverReadsLeftovers(_ leftover: Leftover) throws {
        try withConnection { channel, pool, connection in
            let sink = TakeBackSink(pool: pool)
            startGet(connection, sink: sink, isHead: leftover.isHead)
            try channel.writeInbound(ByteBuffer(string: leftover.response + Self.smuggled))
            #expect(sink.ended == 1)
            #expect(!sink.tookBack, "the connection was offered for reuse with leftovers")
            #expect(sink.next.statuses.isEmpty, "the next request read \(sink.next.body.debugDescription)")
            #expect(!channel.isActive)
        }
    }

    @Test func aCleanEndIsTakenBackAndTheNextResponseReadNormally() throws {
        try withConnection { channel, pool, connection in
            let sink = TakeBackSink(pool: pool)
            startGet(connection, sink: sink)
            try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello"))
            #expect(sink.tookBack)
            try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nnext"))
            #expect(sink.next.statuses == [200])
            #expect(sink.next.body == "next")
            #expect(pool.idleCount == 1)
        }
    }

    /// HTTP/1.0 and h2 clients take chunked bodies de-chunked: the payload is cut out, the leftovers still close.
    @Test func bytesAfterADechunkedBodyCloseTheConnection() throws {
        try withConnection { channel, pool, connection in
            let sink = Sink()
            connection.start(head: ByteBuffer(string: "GET / HTTP/1.1\r\nhost: u\r\n\r\n"), isHeadRequest: false,
                             chunkedBody: false, sink: sink, dechunk: true)
            connection.writeEnd(flush: true)
            try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
                                                + "2\r\nhe\r\n3;x=y\r\nllo\r\n0\r\n\r\n" + Self.smuggled))
            #expect(sink.body == "hello")
            #expect(sink.ended == 1)
            #expect(pool.idleCount == 0)
            #expect(!channel.isActive)
        }
    }

    @Test func bytesOnAnIdleConnectionCloseIt() throws {
        try withConnection { channel, pool, connection in
            let sink = Sink()
            startGet(connection, sink: sink)
            try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello"))
            #expect(pool.idleCount == 1)
            try channel.writeInbound(ByteBuffer(string: Self.smuggled))
            #expect(pool.idleCount == 0)
            #expect(!channel.isActive)
            #expect(sink.failures.isEmpty, "the finished exchange is not failed afterwards")
        }
    }

    @Test func aMalformedChunkedBodyIsAProtocolError() throws {
        try withConnection { channel, pool, connection in
            let sink = Sink()
            startGet(connection, sink: sink)
            try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5 junk\r\nhello\r\n0\r\n\r\n"))
            #expect(sink.failures == [.protocolError("invalid chunk size")])
            #expect(sink.ended == 0)
            #expect(pool.idleCount == 0)
            #expect(!channel.isActive)
        }
    }
}
