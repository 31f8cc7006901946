import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy on a free loopback port that holds every byte from the server for `delay` before passing it on:
/// a slow Redis, for tests of the request budget.
public final class DelayingProxy: Sendable {
    public let port: Int
    private let channel: Channel
    private let box: DelayBox

    /// Applies to bytes read from now on.
    public var delay: Duration {
        get { .nanoseconds(box.nanoseconds.load(ordering: .relaxed)) }
        set {
            let (seconds, attoseconds) = newValue.components
            box.nanoseconds.store(seconds * 1_000_000_000 + attoseconds / 1_000_000_000, ordering: .relaxed)
        }
    }

    private init(port: Int, channel: Channel, box: DelayBox) {
        self.port = port
        self.channel = channel
        self.box = box
    }

    public static func start(to targetPort: Int, delay: Duration) async throws -> DelayingProxy {
        let box = DelayBox()
        let group = MultiThreadedEventLoopGroup.singleton
        let channel = try await ServerBootstrap(group: group)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { client in
                ClientBootstrap(group: client.eventLoop)
                    .connect(host: "127.0.0.1", port: targetPort)
                    .flatMap { server in
                        server.pipeline.addHandler(Relay(peer: client, delay: box)).flatMap {
                            client.pipeline.addHandler(Relay(peer: server, delay: nil))
                        }.flatMap { client.setOption(.autoRead, value: true) }
                    }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let proxy = DelayingProxy(port: channel.localAddress!.port!, channel: channel, box: box)
        proxy.delay = delay
        return proxy
    }

    public func stop() async {
        try? await channel.close()
    }

    /// Lets the relays read the proxy's current delay.
    final class DelayBox: Sendable {
        let nanoseconds = Atomic<Int64>(0)
        var current: Int64 { nanoseconds.load(ordering: .relaxed) }
    }

    /// Passes bytes to the other side, later when `delay` is set, and never out of order (a shorter delay waits
    /// for what an earlier, longer one still holds); a close on one side closes the other.
    final class Relay: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let peer: Channel
        let delay: DelayBox?
        private var lastDue = NIODeadline.uptimeNanoseconds(0)

        init(peer: Channel, delay: DelayBox?) {
            self.peer = peer
            self.delay = delay
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = unwrapInboundIn(data)
            let peer = self.peer
            if let delay, delay.current > 0 || lastDue > .now() {
                lastDue = max(lastDue, .now() + .nanoseconds(delay.current))
                context.eventLoop.scheduleTask(deadline: lastDue) {
                    peer.writeAndFlush(bytes, promise: nil)
                }
            } else {
                peer.writeAndFlush(bytes, promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            peer.close(promise: nil)
            context.fireChannelInactive()
        }
    }
}
