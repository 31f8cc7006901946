import Testing
@testable import GatewayCore

@Suite struct IPAddressTests {
    @Test func parsesAndPrintsIPv4() {
        for text in ["0.0.0.0", "1.2.3.4", "255.255.255.255", "10.0.0.1", "192.168.100.200"] {
            let a = IPAddress(text)
            #expect(a?.description == text)
            #expect(a?.isIPv4 == true)
        }
        #expect(IPAddress("1.2.3.4") == IPAddress(ipv4: (1, 2, 3, 4)))
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.04", "1..3.4", "1.2.3.", ".1.2.3",
                      "a.b.c.d", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4/8", "1.2.3.-4", "1.2.3.4:80", "99999999999.1.1.1"])
    func rejectsBadIPv4(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func parsesIPv6Forms() {
        #expect(IPAddress("::")?.description == "::")
        #expect(IPAddress("::1")?.description == "::1")
        #expect(IPAddress("1::")?.description == "1::")
        #expect(IPAddress("2001:DB8:0:0:0:0:0:1")?.description == "2001:db8::1")
        #expect(IPAddress("2001:db8:0:0:1:0:0:1")?.description == "2001:db8::1:0:0:1")  // first of equal runs
        #expect(IPAddress("2001:db8:0:1:1:1:1:1")?.description == "2001:db8:0:1:1:1:1:1")  // single zero not compressed
        #expect(IPAddress("fe80::1:2")?.description == "fe80::1:2")
        #expect(IPAddress("1:2:3:4:5:6:7:8")?.description == "1:2:3:4:5:6:7:8")
        #expect(IPAddress("1:2:3:4:5:6:7::")?.description == "1:2:3:4:5:6:7:0")
        #expect(IPAddress("::ffff:1.2.3.4")?.description == "::ffff:1.2.3.4")
        #expect(IPAddress("::FFFF:102:304")?.description == "::ffff:1.2.3.4")
        #expect(IPAddress("64:ff9b::192.0.2.33")?.description == "64:ff9b::c000:221")
        #expect(IPAddress("1:2:3:4:5:6:1.2.3.4")?.description == "1:2:3:4:5:6:102:304")
        #expect(IPAddress("::1")?.isIPv4 == false)
    }

    @Test(arguments: [":", ":::", "1:2", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::", "1:", ":1", "1:2:3:4:5:6:7:8::",
                      "::1.2.3", "1:2:3:4:5:6:7:1.2.3.4", "::1%eth0", "[::1]", "::1.2.3.4:5", "1.2.3.4::"])
    func rejectsBadIPv6(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func bytesRoundTrip() {
        let bytes: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01]
        let a = IPAddress(ipv6: bytes)
        #expect(a == IPAddress("2001:db8::1"))
        #expect(a.bytes == bytes)
        #expect(IPAddress(ipv4: (10, 0, 0, 1)).bytes == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 10, 0, 0, 1])
    }

    @Test func mappedAddresses() {
        let mapped = IPAddress("::ffff:10.1.2.3")!
        #expect(mapped.isIPv4Mapped)
        #expect(!mapped.isIPv4)
        #expect(mapped != IPAddress("10.1.2.3"))  // different textual families stay distinct values
        #expect(mapped.unmapped == IPAddress("10.1.2.3"))
        #expect(mapped.unmapped.description == "10.1.2.3")
        #expect(IPAddress("10.1.2.3")!.isIPv4Mapped)
        #expect(IPAddress("::1")!.unmapped == IPAddress("::1"))
    }

    @Test func substringInput() {
        let header: Substring = "x 192.0.2.1 y".dropFirst(2).dropLast(2)
        #expect(IPAddress(header) == IPAddress(ipv4: (192, 0, 2, 1)))
    }
}
