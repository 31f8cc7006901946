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

        public init() {}
    }

    public let channel: Channel

    private init(channel: Channel) {
        self.channel = channel
    }

    /// Connects to `url` on `eventLoop`, then sends AUTH and SELECT as the URL asks.
    public static func connect(to url: RedisURL, on eventLoop: EventLoop, options: Options = Options()) async throws -> RedisConnection {
        let commandTimeout = TimeAmount.nanoseconds(nanoseconds(options.commandTimeout))
        let limits = options.limits
        let channel = try await ClientBootstrap(group: eventLoop)
            .connectTimeout(.nanoseconds(nanoseconds(options.connectTimeout)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        RedisClientHandler(limits: limits, commandTimeout: commandTimeout))
                }
            }
            .connect(host: url.host, port: url.port).get()
        let connection = RedisConnection(channel: channel)
        do {
            if let password = url.password {
                let arguments: [RESPArgument] = url.username.map { ["AUTH", .string($0), .string(password)] }
                    ?? ["AUTH", .string(password)]
                try await connection.expectOK(arguments)
            }
            if url.database != 0 { try await connection.expectOK(["SELECT", .integer(Int64(url.database))]) }
        } catch {
            try? await channel.close()
            throw error
        }
        return connection
    }

    /// Sends one command; its reply (an error reply included) completes the future.
    public func send(_ arguments: [RESPArgument]) -> EventLoopFuture<RESPValue> {
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        channel.writeAndFlush(RedisRequest(arguments: arguments, promise: promise)).whenFailure { error in
            promise.fail(error as? RedisClientError ?? .connectionClosed)
        }
        return promise.futureResult
    }

    public func send(_ arguments: RESPArgument...) async throws -> RESPValue {
        try await send(arguments).get()
    }

    /// Runs a Lua script by its SHA-1 (EVALSHA), loading it first when the server does not have it yet (NOSCRIPT,
    /// after a restart or SCRIPT FLUSH): the script's text crosses the network once per server, not per call.
    public func evaluate(_ script: RedisScript, keys: [RESPArgument], arguments: [RESPArgument]) async throws -> RESPValue {
        let call: [RESPArgument] = ["EVALSHA", .string(script.sha1), .integer(Int64(keys.count))] + keys + arguments
        let reply = try await send(call).get()
        guard case .error(let message) = reply, message.hasPrefix("NOSCRIPT") else { return reply }
        let loaded = try await send(["SCRIPT", "LOAD", .string(script.source)]).get()
        if case .error(let message) = loaded { return .error(message) }
        return try await send(call).get()
    }

    public func close() async {
        try? await channel.close()
    }

    private func expectOK(_ arguments: [RESPArgument]) async throws {
        let reply = try await send(arguments).get()
        if case .error(let message) = reply { throw RedisClientError.refused(message) }
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
