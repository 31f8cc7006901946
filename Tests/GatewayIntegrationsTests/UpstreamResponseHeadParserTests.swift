import GatewayIntegrations
import NIOCore
import Testing

@Suite struct UpstreamResponseHeadParserTests {
    func parse(_ text: String, head: Bool = false) throws -> UpstreamResponseHead {
        try UpstreamResponseHeadParser.parse(ByteBuffer(string: text), requestMethodIsHead: head)
    }

    func error(_ text: String) -> String? {
        do throws(UpstreamProtocolError) {
            _ = try UpstreamResponseHeadParser.parse(ByteBuffer(string: text), requestMethodIsHead: false)
            return nil
        } catch {
            return error.message
        }
    }

    func line(_ head: UpstreamResponseHead, _ index: Int) -> String {
        let view = head.bytes.readableBytesView
        let range = head.lines[index].line
        return String(decoding: view[(view.startIndex + range.lowerBound)..<(view.startIndex + range.upperBound)], as: UTF8.self)
    }

    @Test func findsTheEndOfTheHeadAcrossReads() {
        let buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody")
        #expect(UpstreamResponseHeadParser.headEnd(in: buffer.readableBytesView, from: 0) == 25)
        #expect(UpstreamResponseHeadParser.headEnd(in: buffer.readableBytesView, from: 22) == 25)
        #expect(UpstreamResponseHeadParser.headEnd(in: ByteBuffer(string: "HTTP/1.1 200 OK\r\n\r").readableBytesView, from: 0) == nil)
        #expect(UpstreamResponseHeadParser.headEnd(in: ByteBuffer(string: "\n\n\r\n\n\r\n").readableBytesView, from: 0) == nil,
                "only CR LF CR LF ends a head")
        var slice = ByteBuffer(string: "xxHTTP/1.1 200 OK\r\n\r\n")
        slice.moveReaderIndex(forwardBy: 2)
        #expect(UpstreamResponseHeadParser.headEnd(in: slice.readableBytesView, from: 0) == 19, "offsets count from the reader index")
    }

    @Test func parsesStatusLinesHeaderLinesAndFraming() throws {
        let head = try parse("HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nX-A:  b \r\n\r\n")
        #expect(head.status == 201)
        #expect(head.framing == .contentLength(12))
        #expect(head.keepAlive)
        #expect(head.lines.count == 3)
        #expect(line(head, 0) == "Content-Type: text/plain")
        #expect(head.lines[0].nameLength == 12)
        #expect(line(head, 2) == "X-A:  b ")
        let view = head.bytes.readableBytesView
        #expect(String(decoding: view[(view.startIndex + head.statusText.lowerBound)..<(view.startIndex + head.statusText.upperBound)],
                       as: UTF8.self) == "201 Created")
    }

    @Test func framingFollowsRFC9112Section6_3() throws {
        #expect(try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").framing == .chunked)
        #expect(try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n").framing == .untilClose)
        #expect(try parse("HTTP/1.1 200 OK\r\n\r\n").framing == .untilClose)
        #expect(try parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").framing == .none)
        #expect(try parse("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n").framing == .none)
        #expect(try parse("HTTP/1.1 304 Not Modified\r\n\r\n").framing == .none)
        #expect(try parse("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", head: true).framing == .none)
        #expect(try parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n").framing == .contentLength(5))
    }

    @Test func keepAliveFollowsVersionAndConnection() throws {
        #expect(try !parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n").keepAlive)
        #expect(try !parse("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n").keepAlive)
        #expect(try parse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\n").keepAlive)
        #expect(try !parse("HTTP/1.1 200 OK\r\n\r\n").keepAlive, "a close-delimited body ends the connection")
        let nominated = try parse("HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Internal\r\nContent-Length: 1\r\n\r\n")
        #expect(nominated.connectionTokens == ["x-internal"])
    }

    @Test func refusesWhatCouldDesyncOrSplitResponses() {
        #expect(error("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n") == "invalid Content-Length")
        #expect(error("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n") == "invalid Content-Length")
        #expect(error("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")
            == "both Content-Length and Transfer-Encoding")
        #expect(error("HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n") == "obsolete line folding")
        #expect(error("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n") == "bare CR in head")
        #expect(error("HTTP/1.1 200 OK\r\nA: b\nC: d\r\n\r\n") == "bare LF or NUL in head")
        #expect(error("HTTP/1.1 200 OK\r\nA: b\u{0}c\r\n\r\n") == "bare LF or NUL in head")
        #expect(error("HTTP/1.1 200 OK\r\nA\u{0}: c\r\n\r\n") == "bare LF or NUL in head")
        #expect(error("HTTP/1.1 200 OK\r\nA: \rContent-Length: 5\r\n\r\n") == "bare CR in head")
        #expect(error("HTTP/1.1 200") == "invalid status line")
        #expect(error("HTTP/1.1 200 OK\r\nA b: c\r\n\r\n") == "invalid header name")
        #expect(error("HTTP/1.1 200 OK\r\n: c\r\n\r\n") == "invalid header line")
        #expect(error("HTTP/2.0 200 OK\r\n\r\n") == "invalid status line")
        #expect(error("HTTP/1.1 2x0 OK\r\n\r\n") == "invalid status code")
        #expect(error("HTTP/1.1 099 Hm\r\n\r\n") == "invalid status code")
    }
}
