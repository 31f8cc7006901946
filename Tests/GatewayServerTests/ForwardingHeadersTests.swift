import NIOHTTP1
import Testing
@testable import GatewayServer

@Suite struct ForwardingHeadersTests {
    let context = ForwardingHeaders.RequestContext(
        upstreamAuthority: "127.0.0.1:9001", forwardedFor: "10.0.0.1", forwardedProto: "http",
        forwardedHost: "api.example.test", requestId: "req-1", chunkedBody: false)

    @Test func removesHopByHopAndConnectionNominatedHeaders() {
        let incoming = HTTPHeaders([
            ("Host", "api.example.test"), ("Connection", "keep-alive, X-Secret"), ("X-Secret", "1"),
            ("Keep-Alive", "timeout=5"), ("TE", "trailers"), ("Upgrade", "websocket"), ("Proxy-Connection", "x"),
            ("Accept", "application/json"), ("X-Forwarded-For", "6.6.6.6"), ("X-Request-Id", "spoofed"),
            ("Expect", "100-continue"), ("Content-Length", "3"),
        ])
        let out = ForwardingHeaders.upstreamRequestHeaders(from: incoming, context)
        #expect(out["host"] == ["127.0.0.1:9001"])
        #expect(out["accept"] == ["application/json"])
        #expect(out["content-length"] == ["3"])
        for name in ["connection", "x-secret", "keep-alive", "te", "upgrade", "proxy-connection", "expect"] {
            #expect(!out.contains(name: name), "\(name) must not be forwarded")
        }
        #expect(out["x-forwarded-for"] == ["10.0.0.1"])
        #expect(out["x-forwarded-proto"] == ["http"])
        #expect(out["x-forwarded-host"] == ["api.example.test"])
        #expect(out["x-request-id"] == ["req-1"])
    }

    @Test func chunkedRequestBodiesAreReframedExplicitly() {
        var ctx = context
        ctx.chunkedBody = true
        let out = ForwardingHeaders.upstreamRequestHeaders(
            from: HTTPHeaders([("Transfer-Encoding", "chunked")]), ctx)
        #expect(out["transfer-encoding"] == ["chunked"])
    }
}
