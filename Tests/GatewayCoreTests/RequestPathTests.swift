import GatewayCore
import Testing

@Suite struct RequestPathTests {
    private func normal(_ path: Substring) -> String? {
        switch RequestPath.normalize(path) {
        case .success(let rewritten): rewritten ?? String(path)
        case .failure: nil
        }
    }

    private func rejection(_ path: Substring) -> RequestPath.Rejection? {
        if case .failure(let rejection) = RequestPath.normalize(path) { return rejection }
        return nil
    }

    @Test func ordinaryPathsAreLeftAsTheyAre() throws {
        for path: Substring in ["/", "/orders", "/orders/7", "/a//b/", "/v1.2/x", "/.well-known/a", "/a/...", "/a/.b/c.."] {
            let result = try RequestPath.normalize(path).get()
            #expect(result == nil, "\(path) needs no rewrite")
        }
    }

    @Test func dotSegmentsAreRemoved() {
        #expect(normal("/orders/../admin") == "/admin")
        #expect(normal("/admin/./x") == "/admin/x")
        #expect(normal("/a/b/../../c") == "/c")
        #expect(normal("/a/.") == "/a/")
        #expect(normal("/a/..") == "/")
        #expect(normal("/a/b/..") == "/a/")
        #expect(normal("/./") == "/")
        #expect(normal("/a//../b") == "/a/b", "an empty segment is a segment, as in RFC 3986")
    }

    @Test func encodedDotsAreDecodedBeforeDotSegmentsAreRemoved() {
        #expect(normal("/orders/%2e%2e/admin") == "/admin")
        #expect(normal("/orders/%2E%2E/admin") == "/admin")
        #expect(normal("/orders/.%2e/admin") == "/admin")
        #expect(normal("/orders/%2e/x") == "/orders/x")
    }

    @Test func unreservedEscapesAreDecodedAndOthersKept() {
        #expect(normal("/%61dmin/x") == "/admin/x")
        #expect(normal("/%7Euser/%2D%5F") == "/~user/-_")
        #expect(normal("/a%20b/%E2%9C%93") == "/a%20b/%E2%9C%93", "reserved and non-ASCII escapes stay encoded")
        #expect(normal("/a%3Fb") == "/a%3Fb", "an encoded ? stays in the path")
        #expect(normal("/caf%c3%a9/%3f") == "/caf%C3%A9/%3F", "kept escapes get upper-case hex")
    }

    @Test func climbingAboveTheRootIsRefused() {
        #expect(rejection("/..") == .climbsAboveRoot)
        #expect(rejection("/orders/../../admin") == .climbsAboveRoot)
        #expect(rejection("/%2e%2e/etc/passwd") == .climbsAboveRoot)
        #expect(rejection("/a/../..") == .climbsAboveRoot)
    }

    @Test func escapesUpstreamsDisagreeOnAreRefused() {
        #expect(rejection("/a%2Fb") == .encodedSlash)
        #expect(rejection("/a%2fb") == .encodedSlash)
        #expect(rejection("/a%5Cb") == .backslash)
        #expect(rejection("/a%5cb") == .backslash)
        #expect(rejection("/a\\b") == .backslash)
        #expect(rejection("/..\\admin") == .backslash)
        #expect(rejection("/a%00b") == .encodedNul)
    }

    @Test func dotSegmentsWithParametersAndFragmentsAreRefused() {
        #expect(rejection("/public/..;/admin") == .dotSegmentWithParameters)
        #expect(rejection("/public/.;x/admin") == .dotSegmentWithParameters)
        #expect(rejection("/public/%2e%2e;/admin") == .dotSegmentWithParameters)
        #expect(rejection("/admin#") == .fragment)
        #expect(rejection("/a/b#frag") == .fragment)
        #expect(normal("/a;v=1/b") == "/a;v=1/b", "parameters on ordinary segments pass")
        #expect(normal("/a/..x;y") == "/a/..x;y")
    }

    @Test func normalFormIsThePathItselfWhenNothingChanges() throws {
        #expect(try RequestPath.normalForm("/a/b").get() == "/a/b")
        #expect(try RequestPath.normalForm("/a%20b").get() == "/a%20b")
        #expect(try RequestPath.normalForm("/%7Ex").get() == "/~x")
    }

    @Test func malformedEscapesAreRefused() {
        #expect(rejection("/a%") == .malformedEscape)
        #expect(rejection("/a%4") == .malformedEscape)
        #expect(rejection("/a%zz") == .malformedEscape)
        #expect(rejection("/a%%41") == .malformedEscape)
    }

    @Test func rewrittenPathsAreThemselvesNormal() throws {
        for path: Substring in ["/orders/../admin", "/%61dmin/./x", "/a/b/..", "/x/%2e%2e/y/%7E"] {
            let once = try #require(try RequestPath.normalize(path).get())
            #expect(try RequestPath.normalize(Substring(once)).get() == nil, "\(path) → \(once) is stable")
        }
    }
}
