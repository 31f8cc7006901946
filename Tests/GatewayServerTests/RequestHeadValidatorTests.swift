import GatewayCore
import NIOHTTP1
import Testing
@testable import GatewayServer

@Suite struct RequestHeadValidatorTests {
    func head(_ headers: [(String, String)], uri: String = "/", version: HTTPVersion = .http1_1) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: .POST, uri: uri, headers: HTTPHeaders(headers))
    }

    func rejection(_ head: HTTPRequestHead) -> String? {
        if case .failure(let rejection) = RequestHeadValidator.validate(head) { return rejection.detail }
        return nil
    }

    @Test func acceptsContentLengthAndChunkedFraming() throws {
        let cl = try RequestHeadValidator.validate(head([("Host", "a"), ("Content-Length", "12")])).get()
        #expect(cl.framing == .contentLength(12))
        let te = try RequestHeadValidator.validate(head([("Host", "a"), ("Transfer-Encoding", " Chunked ")])).get()
        #expect(te.framing == .chunked)
        let none = try RequestHeadValidator.validate(head([("Host", "a"), ("Content-Length", "0")])).get()
        #expect(none.framing == .none)
    }

    @Test func refusesAConnectionHeaderNominatingWhatTheGatewayReliesOn() {
        for value in ["content-length", "keep-alive, Content-Length", "close,TRANSFER-ENCODING", " host ", "X-Forwarded-For",
                      "content-type", "x-api-key"] {
            let detail = rejection(head([("Host", "a"), ("Content-Length", "3"), ("Connection", value)]))
            #expect(detail?.hasPrefix("Connection must not nominate") == true, "\(value): \(detail ?? "accepted")")
        }
        for value in ["keep-alive", "close", "Upgrade, HTTP2-Settings", "x-private, te", "content-lengthy"] {
            #expect(rejection(head([("Host", "a"), ("Connection", value)])) == nil, "\(value)")
        }
    }

    @Test func refusesUnderscoreSpellingsOfSensitiveHeaders() {
        for name in ["Transfer_Encoding", "content_length", "Keep_Alive", "Proxy_Connection", "X_Forwarded_For",
                     "x_request_id", "X-Forwarded_Host", "Content_Type", "X_API_KEY"] {
            let detail = rejection(head([("Host", "a"), (name, "1")]))
            #expect(detail?.contains("would be read as") == true, "\(name): \(detail ?? "accepted")")
        }
        for name in ["X_Custom", "my_header", "content_lengths", "x-forwarded-for"] {
            #expect(rejection(head([("Host", "a"), (name, "1")])) == nil, "\(name)")
        }
        #expect(RequestHeadValidator.underscoreLookalike("Transfer_Encoding") == "transfer-encoding")
    }

    @Test func refusesSmugglingFraming() {
        #expect(rejection(head([("Host", "a"), ("Content-Length", "3"), ("Transfer-Encoding", "chunked")]))
            == "both Content-Length and Transfer-Encoding")
        #expect(rejection(head([("Host", "a"), ("Content-Length", "3"), ("Content-Length", "3")]))
            == "multiple Content-Length headers")
        #expect(rejection(head([("Host", "a"), ("Content-Length", "+3")])) == "invalid Content-Length")
        #expect(rejection(head([("Host", "a"), ("Content-Length", "3 ")])) == "invalid Content-Length")
        #expect(rejection(head([("Host", "a"), ("Content-Length", "99999999999999999999")])) == "invalid Content-Length")
        #expect(rejection(head([("Host", "a"), ("Transfer-Encoding", "gzip, chunked")]))
            == "unsupported Transfer-Encoding (only \"chunked\" is accepted)")
        #expect(rejection(head([("Host", "a"), ("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")]))
            == "unsupported Transfer-Encoding (only \"chunked\" is accepted)")
        #expect(rejection(head([("Transfer-Encoding", "chunked")], version: .http1_0))
            == "Transfer-Encoding in an HTTP/1.0 request")
    }

    @Test func requiresExactlyOneHostOnHTTP11() {
        #expect(rejection(head([])) == "missing Host header")
        #expect(rejection(head([("Host", "a"), ("Host", "b")])) == "multiple Host headers")
        #expect(rejection(head([], version: .http1_0)) == nil)
    }

    @Test func absoluteFormOnlyForTheSameHost() throws {
        let same = try RequestHeadValidator.validate(head([("Host", "api.example:8080")], uri: "http://API.example:8080/a?b=1")).get()
        #expect(same.target == "/a?b=1")
        let bare = try RequestHeadValidator.validate(head([("Host", "a.test")], uri: "http://a.test")).get()
        #expect(bare.target == "/")
        #expect(rejection(head([("Host", "a.test")], uri: "http://evil.test/a"))
            == "absolute-form target names a different host than the Host header")
        #expect(rejection(head([("Host", "a")], uri: "*")) == "request target must be origin-form or absolute-form")
        #expect(rejection(head([("Host", "a")], uri: "ftp://a/x")) == "request target must be origin-form or absolute-form")
    }

    @Test func asciiCaseInsensitiveComparisonOnlyFoldsLetters() {
        #expect("Content-Length".equalsASCIICaseInsensitive("content-length"))
        #expect(!"content-length".equalsASCIICaseInsensitive("content-lengt"))
        // '@' (0x40) and '`' (0x60) differ only in the case bit but are not letters.
        #expect(!"@".equalsASCIICaseInsensitive("`"))
        #expect(" chunked\t".trimmingASCIIWhitespace() == "chunked")
        #expect("  ".trimmingASCIIWhitespace() == "")
    }
}
