import GatewayCore
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import NIOTLS

/// Binds the plain-HTTP data-plane listener and builds each connection's pipeline:
/// raw-byte timeouts → NIO's HTTP/1.1 request decoder (limits from config) → `GatewayHandler`.
enum EdgeListener {
    /// `tls` makes this the HTTPS listener: the ClientHello's SNI name is read first (for 421 checks), then
    /// BoringSSL, then the same HTTP pipeline with `X-Forwarded-Proto: https`.
    static func bind(runtime: GatewayRuntime, address: ListenAddress, tls: TLSCertificateStore? = nil) async throws -> Channel {
        let bootstrap = ServerBootstrap(group: runtime.group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // Plain HTTP keeps half-closure for lingering closes. Over TLS a FIN means the client is gone (no
            // close_notify is coming), so the connection closes at once: with half-closure NIOSSL would wait out
            // its shutdown timeout for a close_notify after every server-initiated close.
            .childChannelOption(.allowRemoteHalfClosure, value: tls == nil)
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
                            // Context and 421 names from one read of the store: they always belong together.
                            let presentation = tls.presentation(for: serverName)
                            let presented: [String]? = presentation.names
                            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: presentation.context))
                            // ALPN decides the rest: "h2" gets HTTP/2, anything else (or nothing) HTTP/1.1.
                            let alpn = ApplicationProtocolNegotiationHandler { negotiated in
                                channel.eventLoop.makeCompletedFuture {
                                    if case .negotiated("h2") = negotiated {
                                        try configureHTTP2(channel, loop: loop, timeouts: timeouts,
                                                           presentedNames: presented ?? [])
                                    } else {
                                        try configureHTTP(channel, loop: loop, timeouts: timeouts, forwardedProto: "https",
                                                          presentedNames: presented ?? [])
                                    }
                                }
                            }
                            try channel.pipeline.syncOperations.addHandler(alpn)
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
        let peer = peerAddress(of: channel)
        let sync = channel.pipeline.syncOperations
        // Only the request decoder: `GatewayHandler` serialises responses itself (and handles pipelining). Bytes the
        // decoder holds are a partial head at most (bodies stream through), so its buffer is bounded to that.
        let decoder = RestartableRequestDecoder(limits: decoderLimits)
        try sync.addHandler(ByteToMessageHandler(decoder, maximumBufferSize: limits.maxHeaderSize + 64 * 1024))
        try sync.addHandler(GatewayHandler(loop: loop, timeouts: timeouts, peer: peer, forwardedProto: forwardedProto,
                                           presentedNames: presentedNames, requestDecoder: decoder))
    }

    /// NIO's HTTP/2 connection handler with the gateway's limits, then one `GatewayHandler` per stream behind
    /// `HTTP2StreamCodec`, so h2 requests take exactly the HTTP/1.1 request path.
    static func configureHTTP2(_ channel: Channel, loop: LoopState, timeouts: ConnectionTimeoutHandler,
                               presentedNames: [String]) throws {
        let limits = loop.snapshot.settings.limits
        let peer = peerAddress(of: channel)
        let connection = HTTP2ConnectionHandler(loop: loop, timeouts: timeouts)
        // Streams live on the connection's event loop, so loop-confined state may be handed to them.
        let shared = NIOLoopBound((loop, connection), eventLoop: channel.eventLoop)
        let sync = channel.pipeline.syncOperations
        _ = try sync.configureHTTP2Pipeline(mode: .server,
                                            connectionConfiguration: HTTP2Limits.connection(maxHeaderListSize: limits.maxHeaderSize),
                                            streamConfiguration: HTTP2Limits.stream()) { stream in
            stream.eventLoop.makeCompletedFuture {
                let (loop, connection) = shared.value
                let streamSync = stream.pipeline.syncOperations
                try streamSync.addHandler(HTTP2StreamCodec())
                try streamSync.addHandler(GatewayHandler(loop: loop, timeouts: nil, peer: peer, forwardedProto: "https",
                                                         presentedNames: presentedNames, http2: connection))
            }
        }
        try sync.addHandler(connection)
    }

    /// The client's socket address (0.0.0.0 if the channel has none), as the request path sees it. A dual-stack
    /// listener reports IPv4 clients as ::ffff:a.b.c.d: they become plain IPv4 here, so X-Forwarded-For, the access
    /// log and trusted-proxy checks see a.b.c.d whichever socket family accepted them.
    static func peerAddress(of channel: Channel) -> IPAddress {
        channel.remoteAddress?.ipAddress.flatMap { IPAddress($0)?.unmapped } ?? IPAddress(ipv4: (0, 0, 0, 0))
    }
}
