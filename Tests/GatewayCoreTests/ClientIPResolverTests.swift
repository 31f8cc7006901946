import Testing
@testable import GatewayCore

@Suite struct ClientIPResolverTests {
    let trusted = try! CIDRSet(parsing: ["10.0.0.0/8", "::1/128"])

    func ip(_ s: String) -> IPAddress { IPAddress(s)! }

    func client(_ peer: String, _ xff: [Substring], trusted: CIDRSet? = nil) -> String {
        ClientIPResolver.clientIP(peer: ip(peer), forwardedFor: xff, trusted: trusted ?? self.trusted).description
    }

    @Test func untrustedPeerIgnoresTheHeader() {
        #expect(client("203.0.113.5", ["1.1.1.1"]) == "203.0.113.5")
        #expect(client("203.0.113.5", ["1.1.1.1"], trusted: .empty) == "203.0.113.5")
        #expect(client("10.0.0.1", ["1.1.1.1"], trusted: .empty) == "10.0.0.1")
    }

    @Test func rightMostUntrustedAddressFromATrustedPeer() {
        #expect(client("10.0.0.1", ["198.51.100.7"]) == "198.51.100.7")
        #expect(client("10.0.0.1", ["198.51.100.7, 10.0.0.2"]) == "198.51.100.7")
        #expect(client("::1", ["2001:db8::7, 10.1.1.1,10.2.2.2"]) == "2001:db8::7")
    }

    @Test func spoofedLeftEntriesAreNotBelieved() {
        // The client put "1.2.3.4" in its own header; our proxy appended the real client.
        #expect(client("10.0.0.1", ["1.2.3.4, 198.51.100.7"]) == "198.51.100.7")
        #expect(client("10.0.0.1", ["10.9.9.9, 198.51.100.7, 10.0.0.3"]) == "198.51.100.7")
    }

    @Test func walksAcrossSeveralHeaderLines() {
        #expect(client("10.0.0.1", ["1.2.3.4", "198.51.100.7, 10.0.0.2", "10.0.0.3"]) == "198.51.100.7")
        #expect(client("10.0.0.1", ["198.51.100.7", ""]) == "198.51.100.7")
    }

    @Test func allTrustedMeansTheLeftMostEntry() {
        #expect(client("10.0.0.1", ["10.0.0.9, 10.0.0.8"]) == "10.0.0.9")
    }

    @Test func emptyHeaderMeansThePeer() {
        #expect(client("10.0.0.1", []) == "10.0.0.1")
        #expect(client("10.0.0.1", [""]) == "10.0.0.1")
        #expect(client("10.0.0.1", [" , ,"]) == "10.0.0.1")
    }

    @Test func malformedEntryFallsBackToThePeer() {
        #expect(client("10.0.0.1", ["198.51.100.7, garbage"]) == "10.0.0.1")
        #expect(client("10.0.0.1", ["198.51.100.7, unknown, 10.0.0.2"]) == "10.0.0.1")
        #expect(client("10.0.0.1", ["198.51.100.7 10.0.0.2"]) == "10.0.0.1")
        // Left of the first untrusted address nothing is read, so junk there is harmless.
        #expect(client("10.0.0.1", ["garbage, 198.51.100.7"]) == "198.51.100.7")
    }

    @Test func toleratesSpacesEmptyElementsAndPorts() {
        #expect(client("10.0.0.1", ["  198.51.100.7 ,, 10.0.0.2  "]) == "198.51.100.7")
        #expect(client("10.0.0.1", ["198.51.100.7:4711"]) == "198.51.100.7")
        #expect(client("10.0.0.1", ["[2001:db8::9]:4711"]) == "2001:db8::9")
        #expect(client("10.0.0.1", ["[2001:db8::9]"]) == "2001:db8::9")
        #expect(client("10.0.0.1", ["[1.2.3.4]"]) == "10.0.0.1")
        #expect(client("10.0.0.1", ["1.2.3.4:"]) == "10.0.0.1")
    }

    @Test func ipv4MappedPeerIsTrustedByIPv4Entry() {
        #expect(client("::ffff:10.0.0.1", ["198.51.100.7"]) == "198.51.100.7")
    }

    @Test func upstreamHeaderFromTrustedPeerAppendsThePeer() {
        #expect(ClientIPResolver.upstreamForwardedFor(peer: ip("10.0.0.1"), incoming: ["1.2.3.4", " 5.6.7.8 "], trusted: trusted)
            == "1.2.3.4, 5.6.7.8, 10.0.0.1")
        #expect(ClientIPResolver.upstreamForwardedFor(peer: ip("::1"), incoming: [], trusted: trusted) == "::1")
        #expect(ClientIPResolver.upstreamForwardedFor(peer: ip("::1"), incoming: ["", " "], trusted: trusted) == "::1")
    }

    @Test func upstreamHeaderFromUntrustedPeerDropsTheSpoof() {
        #expect(ClientIPResolver.upstreamForwardedFor(peer: ip("203.0.113.5"), incoming: ["1.2.3.4"], trusted: trusted)
            == "203.0.113.5")
        #expect(ClientIPResolver.upstreamForwardedFor(peer: ip("2001:db8::5"), incoming: ["1.2.3.4"], trusted: .empty)
            == "2001:db8::5")
    }
}
