import GatewayCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS

/// Binds the plain-HTTP data-plane listener and builds each connection's pipeline:
/// raw-byte timeouts → NIO's HTTP/1.1 request decoder (limits from config) → `GatewayHandler`.
enum EdgeListener {
    /// `tls` makes this the HTTPS listener: the ClientHello's SNI name is read first (for 421 checks), then
    /// BoringSSL, then the same HTTP pipeline with `X-Forwarded-Proto: https`.
    static func bind(runtime: GatewayRuntime, address: ListenAddress, tls: NIOSSLContext? = nil) async throws -> Channel {
        let bootstrap = ServerBootstrap(group: runtime.group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let loop = runtime.loopState(for: channel.eventLoop)
                    // First, on raw bytes: also bounds a client that never finishes its TLS handshake.
                    let timeouts = ConnectionTimeoutHandler(limits: loop.snapshot.settings.limits, timers: loop.timers)
                    try channel.pipeline.syncOperations.addHandler(timeouts)
                    guard let tls else {
                        try configureHTTP(channel, loop: loop, timeouts: timeouts, forwardedProto: "http", presentedNames: nil)
                        return
                    }
                    let sni = ByteToMessageHandler(SNIHandler { result in
                        channel.eventLoop.makeCompletedFuture {
                            var serverName: String?
                            if case .hostname(let name) = result { serverName = name }
                            let presented = loop.snapshot.settings.tls.map {
                                $0.certificates[$0.selector.select(serverName: serverName)].names
                            }
                            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                            try configureHTTP(channel, loop: loop, timeouts: timeouts, forwardedProto: "https",
                                              presentedNames: presented ?? [])
                        }
                    })
                    try channel.pipeline.syncOperations.addHandler(sni)
                }
            }
        return try await bootstrap.bind(host: address.host, port: address.port).get()
    }

    /// NIO's HTTP/1.1 request decoder (limits from config), then `GatewayHandler`. `presentedNames` are the
    /// names of the certificate this TLS connection presented (nil on plain HTTP), for 421 checks.
    static func configureHTTP(_ channel: Channel, loop: LoopState, timeouts: ConnectionTimeoutHandler,
                              forwardedProto: String, presentedNames: [String]?) throws {
        let limits = loop.snapshot.settings.limits
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderListSize = limits.maxHeaderSize
        decoderLimits.maxHeaderFieldSize = limits.maxHeaderSize
        let peer = channel.remoteAddress?.ipAddress.flatMap { IPAddress($0) } ?? IPAddress(ipv4: (0, 0, 0, 0))
        let sync = channel.pipeline.syncOperations
        // Only the request decoder: `GatewayHandler` serialises responses itself (and handles pipelining).
        try sync.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes,
                                                                    informationalResponseStrategy: .drop,
                                                                    limitConfiguration: decoderLimits)))
        try sync.addHandler(GatewayHandler(loop: loop, timeouts: timeouts, peer: peer, forwardedProto: forwardedProto,
                                           presentedNames: presentedNames))
    }
}
