import GatewayCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Binds the plain-HTTP data-plane listener and builds each connection's pipeline:
/// raw-byte timeouts → NIO's HTTP/1.1 request decoder (limits from config) → `GatewayHandler`.
enum EdgeListener {
    /// `tls` makes this the HTTPS listener: BoringSSL first in every pipeline, `X-Forwarded-Proto: https`.
    static func bind(runtime: GatewayRuntime, address: ListenAddress, tls: NIOSSLContext? = nil) async throws -> Channel {
        let bootstrap = ServerBootstrap(group: runtime.group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try configure(channel, loop: runtime.loopState(for: channel.eventLoop), forwardedProto: tls == nil ? "http" : "https")
                }
            }
        return try await bootstrap.bind(host: address.host, port: address.port).get()
    }

    static func configure(_ channel: Channel, loop: LoopState, forwardedProto: String) throws {
        let limits = loop.snapshot.settings.limits
        let timeouts = ConnectionTimeoutHandler(limits: limits, timers: loop.timers)
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderListSize = limits.maxHeaderSize
        decoderLimits.maxHeaderFieldSize = limits.maxHeaderSize
        let peer = channel.remoteAddress?.ipAddress.flatMap { IPAddress($0) } ?? IPAddress(ipv4: (0, 0, 0, 0))
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(timeouts)
        // Only the request decoder: `GatewayHandler` serialises responses itself (and handles pipelining).
        try sync.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes,
                                                                    informationalResponseStrategy: .drop,
                                                                    limitConfiguration: decoderLimits)))
        try sync.addHandler(GatewayHandler(loop: loop, timeouts: timeouts, peer: peer, forwardedProto: forwardedProto))
    }
}
