import Crypto
import NIOCore
import NIOPosix

/// One TCP connection to a Redis server. Commands may be sent from any thread and are pipelined: each is written at
/// once and its reply completes its future, in order. Logged in (AUTH) and on its database (SELECT) before it is
/// handed out.
public final class RedisConnection: Sendable {
    public struct Options: Sendable {
        public var connectTimeout: Duration = .seconds(1)
        /// A reply later than this fails its command and closes the connection.
        public var commandTimeout: Duration = .seconds(1)
        public var limits = RESPParser.Limits()
        /// Receives out-of-band pushes (RESP3 pub/sub messages, after `HELLO 3`).
        public var onPush: (@Sendable (RESPValue) -> Void)?

        public init() {}
    }

    public let channel: Channel

    private init(channel: Channel) {
        self.channel = channel
    }

    /// Connects to `url` on `eventLoop`, then sends AUTH and SELECT as the URL asks.
    public static func connect(to url: RedisURL, on eventLoop: EventLoop, options: Options = Options()) async throws -> RedisConnection {
        try await connecting(to: url, on: eventLoop, options: options).get()
    }

    /// The same, as a future completed on `eventLoop` (for callers on the event loop, which must not block).
    public static func connecting(to url: RedisURL, on eventLoop: EventLoop,
                                  options: Options = Options()) -> EventLoopFuture<RedisConnection> {
        let commandTimeout = TimeAmount.nanoseconds(nanoseconds(options.commandTimeout))
        let limits = options.limits
        let onPush = options.onPush
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(.nanoseconds(nanoseconds(options.connectTimeout)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        RedisClientHandler(limits: limits, commandTimeout: commandTimeout, onPush: onPush))
                }
            }
            .connect(host: url.host, port: url.port)
            .flatMap { channel in
                let connection = RedisConnection(channel: channel)
                var login: [[RESPArgument]] = []
                if let password = url.password {
                    login.append(url.username.map { ["AUTH", .string($0), .string(password)] } ?? ["AUTH", .string(password)])
                }
                if url.database != 0 { login.append(["SELECT", .integer(Int64(url.database))]) }
                // Pipelined: every login command is written at once; the first refusal fails the connection.
                let replies = login.map { connection.send($0) }
                return EventLoopFuture.whenAllSucceed(replies, on: channel.eventLoop).flatMapThrowing { replies in
                    if let refusal = replies.first(where: \.isError), case .error(let message) = refusal {
                        throw RedisClientError.refused(message)
                    }
                    return connection
                }.flatMapErrorWithEventLoop { error, eventLoop in
                    channel.close(promise: nil)
                    return eventLoop.makeFailedFuture(error)
                }
            }
    }

    /// Sends one command; its reply (an error reply included) completes the future.
    public func send(_ arguments: [RESPArgument]) -> EventLoopFuture<RESPValue> {
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        // The handler flushes once per event-loop tick: commands sent in one tick share one write.
        channel.write(RedisRequest(arguments: arguments, promise: promise)).whenFailure { error in
            promise.fail(error as? RedisClientError ?? .connectionClosed)
        }
        return promise.futureResult
    }

    /// Sends a command the server answers only with pushes (SUBSCRIBE on a RESP3 connection); the future
    /// completes once it is written.
    public func sendExpectingOnlyPushes(_ arguments: [RESPArgument]) -> EventLoopFuture<Void> {
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        channel.writeAndFlush(RedisRequest(arguments: arguments, promise: promise, expectsReply: false)).whenFailure { error in
            promise.fail(error as? RedisClientError ?? .connectionClosed)
        }
        return promise.futureResult.map { _ in }
    }

    public func send(_ arguments: RESPArgument...) async throws -> RESPValue {
        try await send(arguments).get()
    }

    /// Runs a Lua script by its SHA-1 (EVALSHA), loading it first when the server does not have it yet (NOSCRIPT,
    /// after a restart or SCRIPT FLUSH): the script's text crosses the network once per server, not per call.
    public func evaluate(_ script: RedisScript, keys: [RESPArgument], arguments: [RESPArgument]) async throws -> RESPValue {
        try await evaluating(script, keys: keys, arguments: arguments).get()
    }

    /// The same, as a future.
    public func evaluating(_ script: RedisScript, keys: [RESPArgument], arguments: [RESPArgument]) -> EventLoopFuture<RESPValue> {
        var call: [RESPArgument] = ["EVALSHA", .string(script.sha1), .integer(Int64(keys.count))]
        call.reserveCapacity(3 + keys.count + arguments.count)
        call.append(contentsOf: keys)
        call.append(contentsOf: arguments)
        let command = call
        return send(command).flatMap { reply in
            guard case .error(let message) = reply, message.hasPrefix("NOSCRIPT") else {
                return self.channel.eventLoop.makeSucceededFuture(reply)
            }
            return self.send(["SCRIPT", "LOAD", .string(script.source)]).flatMap { loaded in
                if case .error = loaded { return self.channel.eventLoop.makeSucceededFuture(loaded) }
                return self.send(command)
            }
        }
    }

    /// False once the connection closed (by either side, a protocol violation or a timeout).
    public var isActive: Bool { channel.isActive }

    public func close() async {
        try? await channel.close()
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// A Lua script with the SHA-1 that EVALSHA names it by.
public struct RedisScript: Sendable {
    public let source: String
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        self.sha1 = Insecure.SHA1.hash(data: Array(source.utf8)).map { byte in
            let hex = Array("0123456789abcdef".utf8)
            return String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
        }.joined()
    }
}
