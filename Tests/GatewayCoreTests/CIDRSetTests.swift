import Testing
@testable import GatewayCore

@Suite struct CIDRSetTests {
    func ip(_ s: String) -> IPAddress { IPAddress(s)! }

    func error(_ list: [String]) -> CIDRError? {
        do {
            _ = try CIDRSet(parsing: list)
            return nil
        } catch {
            return error
        }
    }

    @Test func ipv4Networks() throws {
        let s = try CIDRSet(parsing: ["10.0.0.0/8", "192.168.1.0/24"])
        #expect(s.contains(ip("10.255.1.2")))
        #expect(s.contains(ip("192.168.1.200")))
        #expect(!s.contains(ip("192.168.2.1")))
        #expect(!s.contains(ip("11.0.0.0")))
        #expect(!s.isEmpty)
    }

    @Test func prefixEdges() throws {
        let all4 = try CIDRSet(parsing: ["0.0.0.0/0"])
        #expect(all4.contains(ip("1.2.3.4")))
        #expect(all4.contains(ip("::ffff:1.2.3.4")))
        #expect(!all4.contains(ip("::1")))  // an IPv4 /0 is every IPv4 address, not every address

        let host4 = try CIDRSet(parsing: ["127.0.0.1/32"])
        #expect(host4.contains(ip("127.0.0.1")))
        #expect(!host4.contains(ip("127.0.0.2")))

        let all6 = try CIDRSet(parsing: ["::/0"])
        #expect(all6.contains(ip("2001:db8::1")))
        #expect(all6.contains(ip("1.2.3.4")))

        let host6 = try CIDRSet(parsing: ["::1/128"])
        #expect(host6.contains(ip("::1")))
        #expect(!host6.contains(ip("::2")))

        let mid = try CIDRSet(parsing: ["2001:db8:bad::/48", "2001:db8::/63", "2001:db8:1:2:3:4:5:0/127"])
        #expect(mid.contains(ip("2001:db8:bad:ffff::1")))
        #expect(!mid.contains(ip("2001:db8:bae::1")))
        #expect(mid.contains(ip("2001:db8:0:1::")))
        #expect(!mid.contains(ip("2001:db8:0:2::")))
        #expect(mid.contains(ip("2001:db8:1:2:3:4:5:1")))
        #expect(!mid.contains(ip("2001:db8:1:2:3:4:5:2")))
    }

    @Test func bareAddressIsAHostRoute() throws {
        let s = try CIDRSet(parsing: ["10.0.0.1", "2001:db8::1"])
        #expect(s.contains(ip("10.0.0.1")))
        #expect(!s.contains(ip("10.0.0.2")))
        #expect(s.contains(ip("2001:db8::1")))
        #expect(!s.contains(ip("2001:db8::2")))
    }

    @Test func ipv4MappedPeersMatchIPv4Entries() throws {
        let s = try CIDRSet(parsing: ["203.0.113.0/24"])
        #expect(s.contains(ip("::ffff:203.0.113.9")))
        #expect(!s.contains(ip("::ffff:203.0.114.9")))
        let v6 = try CIDRSet(parsing: ["::ffff:198.51.100.0/120"])
        #expect(v6.contains(ip("198.51.100.7")))
    }

    @Test func hostBitsAreMasked() throws {
        #expect(try CIDRSet(parsing: ["10.1.2.3/8"]) == CIDRSet(parsing: ["10.0.0.0/8"]))
        #expect(try CIDRSet(parsing: ["10.1.2.3/8"]).contains(ip("10.200.0.1")))
        #expect(try CIDRSet(parsing: ["2001:db8::ffff/32"]) == CIDRSet(parsing: ["2001:db8::/32"]))
    }

    @Test func emptySet() throws {
        #expect(CIDRSet.empty.isEmpty)
        #expect(!CIDRSet.empty.contains(ip("127.0.0.1")))
        #expect(try CIDRSet(parsing: []) == CIDRSet.empty)
    }

    @Test func invalidEntriesNameTheirIndex() {
        #expect(error(["10.0.0.0/8", "10.0.0.0/33"])
            == CIDRError(index: 1, message: "invalid CIDR \"10.0.0.0/33\": prefix length must be 0–32 for IPv4 (got \"33\")"))
        #expect(error(["::/129"])
            == CIDRError(index: 0, message: "invalid CIDR \"::/129\": prefix length must be 0–128 for IPv6 (got \"129\")"))
        #expect(error(["a", "b"]) == CIDRError(index: 0, message: "invalid CIDR \"a\": \"a\" is not an IPv4 or IPv6 address"))
        #expect(error(["1.2.3.4", "10.0.0.0/"])
            == CIDRError(index: 1, message: "invalid CIDR \"10.0.0.0/\": missing prefix length after \"/\""))
        #expect(error(["/8"]) == CIDRError(index: 0, message: "invalid CIDR \"/8\": missing address"))
        #expect(error(["10.0.0.0/-1"])
            == CIDRError(index: 0, message: "invalid CIDR \"10.0.0.0/-1\": prefix length must be 0–32 for IPv4 (got \"-1\")"))
        #expect(error(["10.0.0.0/8/8"])
            == CIDRError(index: 0, message: "invalid CIDR \"10.0.0.0/8/8\": prefix length must be 0–32 for IPv4 (got \"8/8\")"))
        #expect(error(["10.0.0.0 /8"])
            == CIDRError(index: 0, message: "invalid CIDR \"10.0.0.0 /8\": \"10.0.0.0 \" is not an IPv4 or IPv6 address"))
    }

    @Test func manyNetworksStayOneLookupPerPrefixLength() throws {
        var list: [String] = []
        for a in 0..<50 { for b in 0..<100 { list.append("10.\(a).\(b).0/24") } }
        let s = try CIDRSet(parsing: list)
        #expect(s.buckets.count == 1)
        #expect(s.contains(ip("10.49.99.5")))
        #expect(!s.contains(ip("10.50.0.1")))
    }
}
