import GatewayCore
import NIOCore
import NIOEmbedded
import Testing
@testable import GatewayServer

@Suite struct EdgeListenerTests {
    func peer(_ address: String?) throws -> IPAddress {
        let channel = EmbeddedChannel()
        channel.remoteAddress = try address.map { try SocketAddress(ipAddress: $0, port: 40000) }
        return EdgeListener.peerAddress(of: channel)
    }

    /// Dual-stack sockets report IPv4 clients as ::ffff:a.b.c.d; the request path sees them as a.b.c.d.
    @Test func ipv4MappedPeersBecomePlainIPv4() throws {
        let mapped = try peer("::ffff:203.0.113.9")
        #expect(mapped.isIPv4)
        #expect(mapped.description == "203.0.113.9")
        #expect(mapped == IPAddress("203.0.113.9"))
        #expect(try peer("203.0.113.9").description == "203.0.113.9")
        #expect(try peer("2001:db8::1").description == "2001:db8::1")
        #expect(try peer("::1").description == "::1")
        #expect(try peer(nil).description == "0.0.0.0")
    }
}
