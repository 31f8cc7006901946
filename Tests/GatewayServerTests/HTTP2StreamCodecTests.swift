@testable import GatewayServer
import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP1
import NIOHTTP2
import Testing

@Suite struct HTTP2StreamCodecTests {
    func block(_ fields: [(String, String)]) -> HPACKHeaders { HPACKHeaders(fields) }

    let getRequest = [(":method", "GET"), (":path", "/a?b=1"), (":scheme", "https"), (":authority", "example.test")]

    @Test func requestHeadsFollowNIOsCodec() throws {
        let head = try HTTP2StreamCodec.requestHead(block(getRequest + [("accept", "*/*")]), endStream: true)
        #expect(head.method == .GET)
        #expect(head.uri == "/a?b=1")
        #expect(head.version == .http2)
        #expect(head.headers.map { "\($0.name)=\($0.value)" } == ["host=example.test", "accept=*/*"])

        let withHost = try HTTP2StreamCodec.requestHead(block(getRequest + [("host", "other.test")]), endStream: true)
        #expect(withHost.headers["host"] == ["other.test"], "a sent host is kept, none synthesised")

        let post = [(":method", "POST"), (":path", "/p"), (":scheme", "https"), (":authority", "a.test")]
        #expect(try HTTP2StreamCodec.requestHead(block(post), endStream: true).headers["content-length"] == ["0"])
        #expect(try HTTP2StreamCodec.requestHead(block(post), endStream: false).headers["transfer-encoding"] == ["chunked"])
        let sized = try HTTP2StreamCodec.requestHead(block(post + [("content-length", "5")]), endStream: false)
        #expect(sized.headers["transfer-encoding"].isEmpty && sized.headers["content-length"] == ["5"])
        #expect(try HTTP2StreamCodec.requestHead(block(post.map { $0.0 == ":method" ? ($0.0, "PURGE") : $0 }), endStream: false)
            .method == .PURGE)
    }

    @Test func refusesMissingRepeatedOrUnsafePseudoHeaders() {
        for name in [":method", ":path", ":scheme", ":authority"] {
            #expect(throws: (any Error).self, "missing \(name)") {
                try HTTP2StreamCodec.requestHead(block(getRequest.filter { $0.0 != name }), endStream: true)
            }
            #expect(throws: (any Error).self, "repeated \(name)") {
                try HTTP2StreamCodec.requestHead(block(getRequest + [(name, "x")]), endStream: true)
            }
        }
        for bad in ["/a b", "/a\r\nx: y", "/a\u{0}", "/a\u{7F}", "/a\tb"] {
            #expect(throws: (any Error).self, "path \(bad.debugDescription)") {
                try HTTP2StreamCodec.requestHead(block(getRequest.map { $0.0 == ":path" ? ($0.0, bad) : $0 }), endStream: true)
            }
        }
        #expect(throws: (any Error).self) {
            try HTTP2StreamCodec.requestHead(block(getRequest.map { $0.0 == ":authority" ? ($0.0, "a.test\r\nx") : $0 }),
                                             endStream: true)
        }
    }

    @Test func onlyRepeatingFieldsAreIndexed() {
        for name in ["x-request-id", "date", "content-length", "age", "etag", "last-modified", "expires"] {
            #expect(HTTP2StreamCodec.indexing(of: name) == .nonIndexable, "\(name)")
        }
        #expect(HTTP2StreamCodec.indexing(of: "set-cookie") == .neverIndexed)
        for name in ["content-type", "server", "cache-control", "vary", "x-date"] {
            #expect(HTTP2StreamCodec.indexing(of: name) == .indexable, "\(name)")
        }
    }

    @Test func framesBecomeRequestPartsAndTrailersEndTheRequest() throws {
        let channel = EmbeddedChannel(handler: HTTP2StreamCodec())
        let post = [(":method", "POST"), (":path", "/p"), (":scheme", "https"), (":authority", "a.test")]
        try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: block(post))))
        try channel.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(string: "abc")))))
        try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: block([("x-sum", "1")]), endStream: true)))
        guard case .head(let head)? = try channel.readInbound(as: HTTPServerRequestPart.self) else { Issue.record("no head"); return }
        #expect(head.method == .POST)
        guard case .body(let body)? = try channel.readInbound(as: HTTPServerRequestPart.self) else { Issue.record("no body"); return }
        #expect(String(buffer: body) == "abc")
        guard case .end(let trailers)? = try channel.readInbound(as: HTTPServerRequestPart.self) else { Issue.record("no end"); return }
        #expect(trailers?["x-sum"] == ["1"])
        #expect(throws: (any Error).self, "HEADERS after the end") {
            try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: block([("x", "1")]))))
        }
    }

    @Test func aHeadersBlockWithEndStreamIsHeadAndEnd() throws {
        let channel = EmbeddedChannel(handler: HTTP2StreamCodec())
        try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: block(getRequest), endStream: true)))
        guard case .head? = try channel.readInbound(as: HTTPServerRequestPart.self) else { Issue.record("no head"); return }
        guard case .end(nil)? = try channel.readInbound(as: HTTPServerRequestPart.self) else { Issue.record("no end"); return }
    }

    @Test func responseFieldsAreLowercasedUnindexedAndWithoutConnectionFields() throws {
        let channel = EmbeddedChannel(handler: HTTP2StreamCodec())
        let head = HTTPResponseHead(version: .http2, status: .ok, headers: HTTPHeaders([
            ("Content-Type", "text/plain"), ("Connection", "close"), ("Transfer-Encoding", "chunked"), ("x-request-id", "r1")]))
        try channel.writeOutbound(HTTPServerResponsePart.head(head))
        try channel.writeOutbound(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "hi"))))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        guard case .headers(let headers)? = try channel.readOutbound(as: HTTP2Frame.FramePayload.self) else {
            Issue.record("no HEADERS"); return
        }
        #expect(headers.headers.map { "\($0.name)=\($0.value)" } == [":status=200", "content-type=text/plain", "x-request-id=r1"])
        #expect(headers.headers.map { $0.indexable } == [.indexable, .indexable, .nonIndexable],
                "per-response fields stay out of the dynamic table")
        #expect(!headers.endStream)
        guard case .data(let data)? = try channel.readOutbound(as: HTTP2Frame.FramePayload.self) else { Issue.record("no DATA"); return }
        #expect(!data.endStream)
        guard case .data(let end)? = try channel.readOutbound(as: HTTP2Frame.FramePayload.self) else { Issue.record("no end"); return }
        #expect(end.endStream)
    }
}
