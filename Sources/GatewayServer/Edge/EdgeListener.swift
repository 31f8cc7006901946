import GatewayCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// Binds the plain-HTTP data-plane listener and builds each connection's pipeline:
/// raw-byte timeouts → NIO's HTTP/1.1 request decoder (limits from config) → `GatewayHandler`.
enum EdgeListener {
    static func bind(runtime: GatewayRuntime, address: ListenAddress) async throws -> Channel {
        let bootstrap = ServerBootstrap(group: runtime.group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try configure(channel, loop: runtime.loopState(for: channel.eventLoop))
                }
            }
        return try await bootstrap.bind(host: address.host, port: address.port).get()
    }

    static func configure(_ channel: Channel, loop: LoopState) throws {
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
        try sync.addHandler(GatewayHandler(loop: loop, timeouts: timeouts, peer: peer))
    }
}
