import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A long-lived TLS connection for tests: sends raw HTTP/1.1 and collects what comes back, so a test can show
/// that an established connection keeps working while the server's certificates change.
final class TLSTestClient: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    private let collector: ByteCollector
    private init(group: MultiThreadedEventLoopGroup, channel: Channel, collector: ByteCollector) {
        self.group = group
        self.channel = channel
        self.collector = collector
    }

    /// `applicationProtocols` are offered by ALPN (e.g. `["h2"]` to speak raw HTTP/2 frames).
    static func connect(port: Int, serverName: String, applicationProtocols: [String] = []) async throws -> TLSTestClient {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let collector = ByteCollector()
        // The custom callback replaces chain verification: tests check presented certificates with openssl.
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.applicationProtocols = applicationProtocols
        let context = try NIOSSLContext(configuration: configuration)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(context: context, serverHostname: serverName,
                                                          customVerificationCallback: { _, promise in
                        promise.succeed(.certificateVerified)
                    })
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return TLSTestClient(group: group, channel: channel, collector: collector)
    }

    /// Sends `request` and waits (bounded) until the collected bytes contain `expected`.
    func exchange(_ request: String, expecting expected: String, timeout: Duration = .seconds(5)) async throws -> String {
        collector.bytes.withLock { $0.removeAll() }
        try await channel.writeAndFlush(ByteBuffer(string: request)).get()
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let text = String(decoding: collector.bytes.withLock { $0 }, as: UTF8.self)
            if text.contains(expected) { return text }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestGatewayError(description: "no \(expected.debugDescription) within \(timeout)")
    }

    /// Writes raw bytes (e.g. HTTP/2 frames) without waiting for an answer.
    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    /// Everything received so far.
    var received: [UInt8] { collector.bytes.withLock { $0 } }

    var isOpen: Bool { channel.isActive }

    /// Waits (bounded) until the server has closed the connection; false if it is still open.
    func waitForClose(timeout: Duration = .seconds(5)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !channel.isActive { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return !channel.isActive
    }

    func close() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}
