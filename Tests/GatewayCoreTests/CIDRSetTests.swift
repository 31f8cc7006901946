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

    @Test func adjacentAndOverlappingNetworksMerge() throws {
        var list: [String] = []
        for a in 0..<50 { for b in 0..<100 { list.append("10.\(a).\(b).0/24") } }
        let s = try CIDRSet(parsing: list)
        #expect(s.rangeCount == 50)  // 10.a.0.0–10.a.99.255 for each a
        #expect(s.contains(ip("10.49.99.5")))
        #expect(!s.contains(ip("10.49.100.0")))
        #expect(!s.contains(ip("10.50.0.1")))
        #expect(try CIDRSet(parsing: ["10.0.0.0/8", "10.1.0.0/16", "10.0.0.0/9"]).rangeCount == 1)
        #expect(try CIDRSet(parsing: ["::/0", "1.2.3.4"]).rangeCount == 1)
    }

    /// Large sets take the indexed path; every answer is checked against a linear scan of the networks.
    @Test(arguments: [20, 5_000])
    func answersMatchALinearScan(count: Int) throws {
        var generator = SplitMix(seed: UInt64(count))
        var list: [String] = []
        var networks: [(UInt128, UInt128)] = []
        for i in 0..<count {
            let v4 = i % 3 != 0
            let prefix = v4 ? 8 + Int(generator.next() % 25) : 16 + Int(generator.next() % 113)
            let text: String
            if v4 {
                let a = UInt32(truncatingIfNeeded: generator.next())
                text = "\(a >> 24).\(a >> 16 & 255).\(a >> 8 & 255).\(a & 255)/\(prefix)"
            } else {
                let groups = (0..<8).map { _ in String(generator.next() % 0x10000, radix: 16) }
                text = "2001:\(groups[1...7].joined(separator: ":"))/\(prefix)"
            }
            list.append(text)
            let (address, bits) = try CIDRSet.parse(Substring(text), index: i)
            networks.append(CIDRSet.range(address, prefix: bits))
        }
        let set = try CIDRSet(parsing: list)
        for probe in 0..<20_000 {
            // Half the probes land inside a configured network, the rest anywhere.
            let address: IPAddress
            if probe % 2 == 0 {
                let (start, end) = networks[probe / 2 % networks.count]
                let offset = UInt128(generator.next()) % (end - start + 1)
                let value = start + offset
                address = IPAddress(high: UInt64(value >> 64), low: UInt64(truncatingIfNeeded: value), isIPv4: false)
            } else if probe % 4 == 1 {
                let a = UInt32(truncatingIfNeeded: generator.next())
                address = IPAddress(ipv4: (UInt8(a >> 24), UInt8(a >> 16 & 255), UInt8(a >> 8 & 255), UInt8(a & 255)))
            } else {
                address = IPAddress(high: 0x2001_0000_0000_0000 | generator.next() >> 16, low: generator.next(),
                                    isIPv4: false)
            }
            let value = UInt128(address.high) << 64 | UInt128(address.low)
            let expected = networks.contains { $0.0 <= value && value <= $0.1 }
            #expect(set.contains(address) == expected, "\(address)")
        }
    }

    @Test func oneHundredThousandNetworksCompileQuickly() throws {
        var list: [String] = []
        var generator = SplitMix(seed: 7)
        for i in 0..<100_000 {
            let a = UInt32(truncatingIfNeeded: generator.next())
            list.append(i % 2 == 0 ? "\(a >> 24).\(a >> 16 & 255).\(a >> 8 & 255).0/24"
                                   : "2001:db8:\(String(a >> 16, radix: 16)):\(String(a & 0xFFFF, radix: 16))::/64")
        }
        let clock = ContinuousClock()
        var set = CIDRSet.empty
        let elapsed = try clock.measure { set = try CIDRSet(parsing: list) }
        #expect(set.rangeCount > 90_000)
        // A debug build is several times slower than the release binary; the release figure is in the README.
        #expect(elapsed < .seconds(3), "\(elapsed)")
    }
}

/// A small deterministic generator (SplitMix64) so randomised tests replay exactly.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
