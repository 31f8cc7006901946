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
}
