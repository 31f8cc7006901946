import GatewayCore
import NIOHTTP1
import Testing

/// `trustedProxies` → ClientIdentityStage: X-Forwarded-For is believed only from a trusted peer, walked from the
/// right past trusted proxies; without trusted proxies it is never believed.
@Suite struct ClientIdentityStageTests {
    static let api = #""apis": [{"name": "a", "routes": [{"route": "GET /ping", "integration": {"type": "mock"}}]}]"#

    func stage(trusting proxies: [String]?) throws -> ClientIdentityStage {
        let trusted = proxies.map { #""trustedProxies": [\#($0.map { "\"\($0)\"" }.joined(separator: ", "))], "# } ?? ""
        return try StageFixture.stage(ClientIdentityStage.self, config: StageFixture.config(trusted + Self.api))
    }

    func evaluate(_ stage: ClientIdentityStage, peer: String, forwardedFor: [String]) -> (StageVerdict, RequestContext) {
        var request = TestRequest.make(.GET, "/ping", headers: forwardedFor.map { ("X-Forwarded-For", $0) }, peer: peer)
        let verdict = stage.evaluate(&request)
        return (verdict, request)
    }

    @Test func withoutTrustedProxiesTheHeaderIsNeverBelieved() throws {
        let stage = try stage(trusting: nil)
        #expect(stage.name == "identity")
        for peer in ["127.0.0.1", "10.0.0.1", "198.51.100.20"] {
            let (verdict, request) = evaluate(stage, peer: peer, forwardedFor: ["203.0.113.9"])
            #expect(verdict.isNext)
            #expect(request.clientIP == IPAddress(peer))
            expectUnrouted(request)
        }
        // An empty list in the config is the same as none.
        let empty = try self.stage(trusting: [])
        let (verdict, request) = evaluate(empty, peer: "127.0.0.1", forwardedFor: ["203.0.113.9"])
        #expect(verdict.isNext && request.clientIP == IPAddress("127.0.0.1"))
    }

    @Test func aTrustedPeerForwardsTheRightMostUntrustedAddress() throws {
        let stage = try stage(trusting: ["127.0.0.1/32", "10.0.0.0/8"])
        // client, then an inner proxy that is itself trusted: the walk passes 10.1.2.3 and stops at the client.
        var (verdict, request) = evaluate(stage, peer: "127.0.0.1", forwardedFor: ["203.0.113.9, 10.1.2.3"])
        #expect(verdict.isNext)
        #expect(request.clientIP == IPAddress("203.0.113.9"))
        #expect(request.peer == IPAddress("127.0.0.1"), "the peer itself is kept")
        // Left of the first untrusted address is the client's own claim: 192.0.2.1 is not believed.
        (verdict, request) = evaluate(stage, peer: "10.9.9.9", forwardedFor: ["192.0.2.1, 203.0.113.9, 10.1.2.3"])
        #expect(verdict.isNext && request.clientIP == IPAddress("203.0.113.9"))
        expectUnrouted(request)
    }

    @Test func severalHeaderLinesAreOneListInOrder() throws {
        let stage = try stage(trusting: ["127.0.0.1/32", "10.0.0.0/8"])
        // The last line is walked first; it holds only trusted proxies, so the walk goes on into the line before.
        let (verdict, request) = evaluate(stage, peer: "127.0.0.1", forwardedFor: ["192.0.2.1, 203.0.113.9", "10.0.0.5"])
        #expect(verdict.isNext && request.clientIP == IPAddress("203.0.113.9"))
    }

    @Test func anUntrustedPeerIsTheClientWhateverItForwards() throws {
        let stage = try stage(trusting: ["127.0.0.1/32", "10.0.0.0/8"])
        let (verdict, request) = evaluate(stage, peer: "198.51.100.20", forwardedFor: ["203.0.113.9, 10.1.2.3"])
        #expect(verdict.isNext)
        #expect(request.clientIP == IPAddress("198.51.100.20"))
    }

    @Test func aTrustedPeerWithoutTheHeaderIsTheClient() throws {
        let stage = try stage(trusting: ["127.0.0.1/32"])
        let (verdict, request) = evaluate(stage, peer: "127.0.0.1", forwardedFor: [])
        #expect(verdict.isNext && request.clientIP == IPAddress("127.0.0.1"))
    }

    @Test func onlyTrustedAddressesMeansTheLeftMostOne() throws {
        let stage = try stage(trusting: ["127.0.0.1/32", "10.0.0.0/8"])
        let (verdict, request) = evaluate(stage, peer: "127.0.0.1", forwardedFor: ["10.0.0.7, 10.0.0.8"])
        #expect(verdict.isNext && request.clientIP == IPAddress("10.0.0.7"))
    }

    @Test func aMalformedEntryMakesTheHeaderUnusable() throws {
        let stage = try stage(trusting: ["127.0.0.1/32", "10.0.0.0/8"])
        let (verdict, request) = evaluate(stage, peer: "127.0.0.1", forwardedFor: ["203.0.113.9, not-an-ip, 10.0.0.8"])
        #expect(verdict.isNext && request.clientIP == IPAddress("127.0.0.1"))
    }

    @Test func ipv6PeersAndEntries() throws {
        let stage = try stage(trusting: ["::1/128", "fd00::/8"])
        let (verdict, request) = evaluate(stage, peer: "::1", forwardedFor: ["2001:db8::7, [fd00::2]:8080"])
        #expect(verdict.isNext && request.clientIP == IPAddress("2001:db8::7"))
    }
}
