import NIOHTTP1
import Testing
@testable import GatewayServer

@Suite struct ForwardingHeadersTests {
    @Test func hopByHopAndReplacedHeadersAreNotForwarded() {
        for name in ["Connection", "keep-alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
                     "Host", "X-Forwarded-For", "x-forwarded-proto", "X-Forwarded-Host", "X-Request-Id", "Expect"] {
            #expect(!ForwardingHeaders.forwards(name, nominated: nil), "\(name) must not be forwarded")
        }
        for name in ["Accept", "Content-Length", "X-End-To-End", "Authorization", "Cookie", "Tee"] {
            #expect(ForwardingHeaders.forwards(name, nominated: nil), "\(name) must be forwarded")
        }
    }

    @Test func connectionNominatedHeadersAreNotForwarded() throws {
        let headers = HTTPHeaders([("Connection", "keep-alive, X-Secret ,close"), ("connection", "X-Other"),
                                   ("X-Secret", "1")])
        let nominated = try #require(ForwardingHeaders.connectionNominated(headers))
        #expect(nominated == ["X-Secret", "X-Other"])
        #expect(!ForwardingHeaders.forwards("x-secret", nominated: nominated))
        #expect(!ForwardingHeaders.forwards("X-OTHER", nominated: nominated))
        #expect(ForwardingHeaders.forwards("X-Secrets", nominated: nominated))
    }

    @Test func plainConnectionOptionsNominateNothing() {
        #expect(ForwardingHeaders.connectionNominated(HTTPHeaders([("Connection", "keep-alive")])) == nil)
        #expect(ForwardingHeaders.connectionNominated(HTTPHeaders([("Connection", " Close ")])) == nil)
        #expect(ForwardingHeaders.connectionNominated(HTTPHeaders([("Host", "a")])) == nil)
    }
}
