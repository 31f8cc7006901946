import NIOCore
import NIOPosix
import Redis
import Testing

/// A socket peer that answers every read with fixed bytes: the replies a broken or hostile server could send.
final class FakeRedisPeer: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let reply: String

    init(reply: String) { self.reply = reply }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply)), promise: nil)
    }

    static func start(reply: String) async throws -> Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(FakeRedisPeer(reply: reply)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }
}

@Suite struct MalformedReplyTests {
    func outcome(ofReply reply: String) async throws -> (Result<RESPValue, RedisClientError>, closed: Bool) {
        let peer = try await FakeRedisPeer.start(reply: reply)
        defer { peer.close(promise: nil) }
        let redis = try await RedisConnection.connect(to: RedisURL(host: "127.0.0.1", port: peer.localAddress!.port!),
                                                      on: MultiThreadedEventLoopGroup.singleton.next())
        let result: Result<RESPValue, RedisClientError>
        do {
            result = .success(try await redis.send("PING"))
        } catch {
            result = .failure(error as? RedisClientError ?? .connectionClosed)
        }
        try? await Task.sleep(for: .milliseconds(50))
        return (result, !redis.channel.isActive)
    }

    @Test func garbageFailsTheCommandAndClosesTheConnection() async throws {
        let (result, closed) = try await outcome(ofReply: "?what\r\n")
        #expect(result == .failure(.protocolViolation("unknown reply type byte 63")))
        #expect(closed)
    }

    @Test func anOversizedLengthIsRefusedBeforeAnyAllocation() async throws {
        let (result, closed) = try await outcome(ofReply: "$99999999999\r\n")
        #expect(result == .failure(.protocolViolation("bulk length 99999999999 outside 0...67108864")))
        #expect(closed)
    }

    @Test func aReplyNoCommandWaitsForClosesTheConnection() async throws {
        let (result, closed) = try await outcome(ofReply: "+PONG\r\n+EXTRA\r\n")
        #expect(result == .success(.simpleString("PONG")), "the command that was asked is answered")
        #expect(closed, "an extra reply means the stream can no longer be matched to commands")
    }

    @Test func aLineWithoutEndIsBounded() async throws {
        let (result, closed) = try await outcome(ofReply: "+" + String(repeating: "a", count: 70_000))
        #expect(result == .failure(.protocolViolation("line longer than 65536 bytes")))
        #expect(closed)
    }
}
