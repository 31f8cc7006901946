import GatewayCore
import NIOCore
import NIOHTTP1
import Testing
@testable import GatewayServer

@Suite struct UpstreamRequestHeadTests {
    let target = UpstreamTarget(host: "127.0.0.1", port: 9001, basePath: "")
    let forwarding = ForwardingHeaders.RequestContext(
        forwardedFor: "10.0.0.1", forwardedProto: "http", forwardedHost: "api.example.test", requestId: "req-1",
        chunkedBody: false)

    func serialise(_ head: UpstreamRequestHead, _ target: UpstreamTarget? = nil) -> String {
        String(buffer: head.bytes(for: target ?? self.target, allocator: ByteBufferAllocator()))
    }

    func head(_ method: HTTPMethod = .GET, path: Substring = "/a", query: Substring? = nil,
              _ headers: [(String, String)] = [], forwarding: ForwardingHeaders.RequestContext? = nil) -> UpstreamRequestHead {
        UpstreamRequestHead(method: method, path: path, query: query, clientHeaders: HTTPHeaders(headers),
                            forwarding: forwarding ?? self.forwarding)
    }

    @Test func writesTheWholeHeadInOrderWithoutHopByHopOrReplacedHeaders() {
        let text = serialise(head(.GET, path: "/orders/7", query: "x=1", [
            ("Host", "api.example.test"), ("Connection", "keep-alive, X-Secret"), ("X-Secret", "1"),
            ("Keep-Alive", "timeout=5"), ("TE", "trailers"), ("Upgrade", "websocket"), ("Proxy-Connection", "x"),
            ("Accept", "application/json"), ("X-Forwarded-For", "6.6.6.6"), ("X-Request-Id", "spoofed"),
            ("Expect", "100-continue"), ("X-Forwarded-Proto", "gopher"), ("X-Forwarded-Host", "spoofed.test"),
            ("Trailer", "X-T"), ("accept-language", "en"),
        ]))
        #expect(text == "GET /orders/7?x=1 HTTP/1.1\r\nhost: 127.0.0.1:9001\r\n"
                + "Accept: application/json\r\naccept-language: en\r\n"
                + "x-forwarded-for: 10.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: api.example.test\r\n"
                + "x-request-id: req-1\r\n\r\n")
    }

    @Test func requestTargetJoinsBasePathPathAndQuery() {
        let cases: [(base: String, path: Substring, query: Substring?, expected: String)] = [
            ("", "", nil, "/"),
            ("", "", "a=1", "/?a=1"),
            ("", "", "", "/?"),
            ("/internal", "", nil, "/internal"),
            ("/internal", "", "a=1", "/internal?a=1"),
            ("/internal", "/orders/7", "x=1&y", "/internal/orders/7?x=1&y"),
            ("", "/a%2Fb", nil, "/a%2Fb"),
        ]
        for c in cases {
            let text = serialise(head(path: c.path, query: c.query), UpstreamTarget(host: "u", port: 80, basePath: c.base))
            #expect(text.hasPrefix("GET \(c.expected) HTTP/1.1\r\nhost: u\r\n"), "\(c) → \(text.prefix(40))")
        }
    }

    @Test func hostIsTheTargetAuthority() {
        #expect(serialise(head(), UpstreamTarget(host: "up.internal", port: 80, basePath: "")).contains("\r\nhost: up.internal\r\n"))
        #expect(serialise(head(), UpstreamTarget(host: "::1", port: 8080, basePath: "")).contains("\r\nhost: [::1]:8080\r\n"))
        #expect(serialise(head(), UpstreamTarget(host: "::1", port: 8080, basePath: "")).hasPrefix("GET /a HTTP/1.1\r\n"))
    }

    @Test func retargetReserialisesHostAndBasePathOnly() {
        let request = head(.DELETE, path: "/x", query: "q", [("Host", "g"), ("Accept", "*/*")])
        let first = serialise(request, UpstreamTarget(host: "10.0.0.1", port: 81, basePath: "/one"))
        let second = serialise(request, UpstreamTarget(host: "10.0.0.2", port: 82, basePath: "/two"))
        #expect(first.hasPrefix("DELETE /one/x?q HTTP/1.1\r\nhost: 10.0.0.1:81\r\nAccept: */*\r\n"))
        #expect(second.hasPrefix("DELETE /two/x?q HTTP/1.1\r\nhost: 10.0.0.2:82\r\nAccept: */*\r\n"))
        #expect(first.drop(while: { $0 != "A" }) == second.drop(while: { $0 != "A" }))
    }

    @Test func chunkedBodiesAreDeclaredByTheGatewayNotCopied() {
        var chunked = forwarding
        chunked.chunkedBody = true
        let text = serialise(head(.POST, [("Transfer-Encoding", "chunked"), ("X-A", "1")], forwarding: chunked))
        #expect(text == "POST /a HTTP/1.1\r\nhost: 127.0.0.1:9001\r\nX-A: 1\r\ntransfer-encoding: chunked\r\n"
                + "x-forwarded-for: 10.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: api.example.test\r\n"
                + "x-request-id: req-1\r\n\r\n")
    }

    @Test func contentLengthIsForwardedAndBodilessPostsSayZero() {
        let withBody = serialise(head(.PUT, [("Content-Length", "3")]))
        #expect(withBody.contains("\r\nContent-Length: 3\r\n"))
        #expect(!withBody.lowercased().contains("content-length: 0"))
        #expect(serialise(head(.POST)).contains("\r\ncontent-length: 0\r\n"))
        #expect(serialise(head(.PATCH, [("content-length", "0")])).components(separatedBy: "content-length").count == 2)
        #expect(!serialise(head(.GET)).lowercased().contains("content-length"))
        #expect(!serialise(head(.HEAD)).lowercased().contains("content-length"))
    }

    @Test func insertedValuesCannotEndALineOrSplitTheRequestLine() {
        let hostile = ForwardingHeaders.RequestContext(
            forwardedFor: "1.2.3.4\r\nX-Evil: 1", forwardedProto: "http\n", forwardedHost: "h\0\r\nX-Evil: 2",
            requestId: "id\r\n\r\nGET /smuggled HTTP/1.1", chunkedBody: false)
        let text = serialise(head(path: "/a b\r\nX-Evil: 3", forwarding: hostile),
                             UpstreamTarget(host: "u\r\nX-Evil: 4", port: 80, basePath: "/b\tc"))
        #expect(text.hasPrefix("GET /b%09c/a%20b%0D%0AX-Evil:%203 HTTP/1.1\r\n"))
        #expect(!text.contains("\nX-Evil"))
        #expect(!text.contains("\nGET"))
        #expect(text.components(separatedBy: "\r\n").count == 8)  // 6 lines, the blank line, and "" after it
        #expect(text.contains("\r\nx-request-id: id    GET /smuggled HTTP/1.1\r\n\r\n"))
    }
}
