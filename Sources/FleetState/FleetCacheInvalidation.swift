import NIOCore
import Redis
import Synchronization

/// `DELETE /cache` on one instance flushes the same entries on every instance: the flush is published on a Redis
/// channel, and each instance keeps one RESP3 connection subscribed to it. A subscriber that lost its connection
/// may have missed flushes, so after reconnecting it flushes its whole cache (a cache may forget, never serve
/// what an operator deleted).
public final class FleetCacheInvalidation: Sendable {
    /// What to flush: an API's entries, one route's, or everything (both nil).
    public struct Scope: Sendable, Equatable {
        public var api: String?
        public var route: String?

        public init(api: String?, route: String?) {
            self.api = api
            self.route = route
        }

        public static let everything = Scope(api: nil, route: nil)
    }

    private let url: RedisURL
    private let pool: RedisPool
    private let channel: String
    private let instanceID: String
    private let subscriber = Mutex<RedisConnection?>(nil)
    private let stopped = Atomic<Bool>(false)

    public init(url: RedisURL, pool: RedisPool, keyPrefix: String, instanceID: String) {
        self.url = url
        self.pool = pool
        self.channel = keyPrefix + "cache-flush"
        self.instanceID = instanceID
    }

    /// Tells the other instances (this one flushed already). The instances subscribed when Redis took the
    /// message (this one included while it runs), as Redis counts them; nil when Redis did not take it.
    @discardableResult
    public func publish(_ scope: Scope) async -> Int? {
        let message = Self.encode(scope, from: instanceID)
        let reply = try? await pool.send(["PUBLISH", .string(channel), .string(message)], on: RedisPool.currentOrAnyLoop(),
                                         within: .seconds(1)).get()
        return reply?.integer.map { Int($0) }
    }

    /// Until `stop`: stays subscribed, reconnecting with back-off, and calls `flush` for every other instance's
    /// message (and with `.everything` after a resubscription, once it is confirmed). `subscribed` is called each
    /// time the subscription is in place. A PING every `keepAlive` finds a connection that died silently.
    public func run(flush: @escaping @Sendable (Scope) -> Void, subscribed: @escaping @Sendable () -> Void = {},
                    keepAlive: Duration = .seconds(5)) async {
        var delay = RedisAvailability.firstRetry
        var connectedBefore = false
        while !stopped.load(ordering: .relaxed), !Task.isCancelled {
            if let connection = await subscribe(flush: flush) {
                if connectedBefore { flush(.everything) }  // flushes published while we were away are lost
                connectedBefore = true
                delay = RedisAvailability.firstRetry
                subscribed()
                while connection.isActive, !stopped.load(ordering: .relaxed), !Task.isCancelled {
                    try? await Task.sleep(for: keepAlive)
                    // A reply later than the command timeout closes the connection.
                    _ = try? await connection.send(["PING"]).get()
                }
                await connection.close()
            }
            if stopped.load(ordering: .relaxed) || Task.isCancelled { return }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, RedisAvailability.lastRetry)
        }
    }

    public func stop() async {
        let connection = subscriber.withLock { subscriber -> RedisConnection? in
            stopped.store(true, ordering: .relaxed)
            return subscriber
        }
        await connection?.close()
    }

    /// Connects, switches to RESP3 and subscribes; returns the connection once the server confirmed the
    /// subscription (within five seconds), nil otherwise.
    private func subscribe(flush: @escaping @Sendable (Scope) -> Void) async -> RedisConnection? {
        var options = RedisConnection.Options()
        let channel = self.channel, instanceID = self.instanceID
        let eventLoop = RedisPool.currentOrAnyLoop()
        let confirmed = eventLoop.makePromise(of: Void.self)
        let once = Once()
        options.onPush = { push in
            guard let items = push.array, items.count == 3, items[1].string == channel else { return }
            if items[0].string == "subscribe" {
                if once.claim() { confirmed.succeed() }
                return
            }
            guard items[0].string == "message", let text = items[2].string, let (sender, scope) = Self.decode(text),
                  sender != instanceID else { return }
            flush(scope)
        }
        options.commandTimeout = .seconds(5)
        guard let connection = try? await RedisConnection.connect(to: url, on: eventLoop, options: options) else {
            if once.claim() { confirmed.fail(RedisClientError.connectionClosed) }
            return nil
        }
        // A refused SUBSCRIBE closes the connection (its error reply has no command waiting): no confirmation.
        connection.channel.closeFuture.whenComplete { _ in
            if once.claim() { confirmed.fail(RedisClientError.connectionClosed) }
        }
        let timeout = eventLoop.scheduleTask(in: .seconds(5)) {
            if once.claim() { confirmed.fail(RedisClientError.timedOut) }
        }
        defer { timeout.cancel() }
        do {
            let hello = try await connection.send(["HELLO", "3"]).get()
            guard !hello.isError else { throw RedisClientError.refused("HELLO 3: RESP3 needs Redis 6 or later") }
            try await connection.sendExpectingOnlyPushes(["SUBSCRIBE", .string(channel)]).get()
            try await confirmed.futureResult.get()
        } catch {
            if once.claim() { confirmed.fail(error) }
            await connection.close()
            return nil
        }
        let keep = subscriber.withLock { subscriber -> Bool in
            guard !stopped.load(ordering: .relaxed) else { return false }
            subscriber = connection
            return true
        }
        guard keep else {
            await connection.close()
            return nil
        }
        return connection
    }

    /// `sender`, then each part as `=value` or `*` (absent), one per line: names cannot hold a newline.
    static func encode(_ scope: Scope, from sender: String) -> String {
        [sender, scope.api.map { "=" + $0 } ?? "*", scope.route.map { "=" + $0 } ?? "*"].joined(separator: "\n")
    }

    static func decode(_ text: String) -> (sender: String, scope: Scope)? {
        let parts = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        func part(_ text: Substring) -> String?? {
            if text == "*" { return .some(nil) }
            guard text.first == "=" else { return nil }
            return .some(String(text.dropFirst()))
        }
        guard let api = part(parts[1]), let route = part(parts[2]) else { return nil }
        return (String(parts[0]), Scope(api: api, route: route))
    }
}
