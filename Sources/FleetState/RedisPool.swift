import NIOCore
import NIOPosix
import Redis
import Synchronization

/// Connections to one Redis server, a few per event loop, made when a loop first needs one and replaced when they
/// close. A request's commands go out on its own loop's connection, so no reply hops threads, and every command of
/// one loop tick shares one write (the client flushes once per tick): round trips are batched per loop.
public final class RedisPool: Sendable {
    public let url: RedisURL
    public let options: RedisConnection.Options
    /// Pipelining makes one connection per loop enough; more spread a slow reply's head-of-line wait.
    public let connectionsPerLoop: Int
    /// Loaded on every new connection before its first command, so no request pays a NOSCRIPT round trip.
    public let scripts: [RedisScript]
    private let loops = Mutex<[ObjectIdentifier: NIOLoopBoundBox<LoopConnections>]>([:])
    private let closed = Atomic<Bool>(false)

    /// After `close`: a connection that finishes connecting then is closed at once.
    var isClosed: Bool { closed.load(ordering: .relaxed) }

    public init(url: RedisURL, options: RedisConnection.Options = .init(), connectionsPerLoop: Int = 1,
                scripts: [RedisScript] = []) {
        self.url = url
        self.scripts = scripts
        self.options = options
        self.connectionsPerLoop = max(1, connectionsPerLoop)
    }

    /// The loop a caller's commands go out on: its own when it runs on one, else a shared loop.
    public static func currentOrAnyLoop() -> EventLoop {
        MultiThreadedEventLoopGroup.currentEventLoop ?? MultiThreadedEventLoopGroup.singleton.any()
    }

    /// A connected connection of `eventLoop` (round robin over its slots), connecting when the slot has none.
    public func connection(on eventLoop: EventLoop) -> EventLoopFuture<RedisConnection> {
        guard eventLoop.inEventLoop else { return eventLoop.flatSubmit { self.connection(on: eventLoop) } }
        guard !closed.load(ordering: .relaxed) else { return eventLoop.makeFailedFuture(RedisClientError.connectionClosed) }
        return connections(of: eventLoop).value.next(pool: self, eventLoop: eventLoop)
    }

    public func send(_ arguments: [RESPArgument], on eventLoop: EventLoop) -> EventLoopFuture<RESPValue> {
        connection(on: eventLoop).flatMap { $0.send(arguments) }
    }

    public func evaluate(_ script: RedisScript, keys: [RESPArgument], arguments: [RESPArgument],
                         on eventLoop: EventLoop) -> EventLoopFuture<RESPValue> {
        connection(on: eventLoop).flatMap { $0.evaluating(script, keys: keys, arguments: arguments) }
    }

    /// The same, failing with `RedisClientError.timedOut` when no reply came within `budget` (connecting included).
    public func evaluate(_ script: RedisScript, keys: [RESPArgument], arguments: [RESPArgument],
                         on eventLoop: EventLoop, within budget: TimeAmount) -> EventLoopFuture<RESPValue> {
        withinBudget(budget, on: eventLoop) { $0.evaluating(script, keys: keys, arguments: arguments) }
    }

    public func send(_ arguments: [RESPArgument], on eventLoop: EventLoop, within budget: TimeAmount) -> EventLoopFuture<RESPValue> {
        withinBudget(budget, on: eventLoop) { $0.send(arguments) }
    }

    /// Runs `command` on a connection of `eventLoop`, failing with `.timedOut` past `budget`. The connection is
    /// closed then: replies queued behind a late one would be as late, so the loop's next command starts afresh.
    private func withinBudget(_ budget: TimeAmount, on eventLoop: EventLoop,
                              _ command: @escaping @Sendable (RedisConnection) -> EventLoopFuture<RESPValue>)
        -> EventLoopFuture<RESPValue> {
        let promise = eventLoop.makePromise(of: RESPValue.self)
        let used = NIOLoopBoundBox.makeEmptyBox(valueType: RedisConnection.self, eventLoop: eventLoop)
        let once = Once()
        let timer = eventLoop.scheduleTask(in: budget) {
            guard once.claim() else { return }
            used.value?.channel.close(promise: nil)
            promise.fail(RedisClientError.timedOut)
        }
        connection(on: eventLoop).flatMap { connection in
            used.value = connection
            return command(connection)
        }.whenComplete { result in
            timer.cancel()
            guard once.claim() else { return }
            promise.completeWith(result)
        }
        return promise.futureResult
    }

    /// Closes every connection; later calls fail at once.
    public func close() async {
        closed.store(true, ordering: .relaxed)
        let boxes = loops.withLock { Array($0.values) }
        for box in boxes {
            let connections = try? await box.eventLoop.submit { box.value.takeAll() }.get()
            for connection in connections ?? [] { await connection.close() }
        }
    }

    private func connections(of eventLoop: EventLoop) -> NIOLoopBoundBox<LoopConnections> {
        loops.withLock { loops in
            if let box = loops[ObjectIdentifier(eventLoop)] { return box }
            let box = NIOLoopBoundBox(LoopConnections(count: connectionsPerLoop), eventLoop: eventLoop)
            loops[ObjectIdentifier(eventLoop)] = box
            return box
        }
    }
}

/// One loop's connections; touched only on that loop.
final class LoopConnections {
    private enum Slot {
        case empty
        case connecting(EventLoopFuture<RedisConnection>)
        case ready(RedisConnection)
    }

    private var slots: [Slot]
    private var nextSlot = 0

    init(count: Int) {
        slots = Array(repeating: .empty, count: count)
    }

    func next(pool: RedisPool, eventLoop: EventLoop) -> EventLoopFuture<RedisConnection> {
        let index = nextSlot
        nextSlot = (nextSlot + 1) % slots.count
        switch slots[index] {
        case .ready(let connection) where connection.isActive:
            return eventLoop.makeSucceededFuture(connection)
        case .connecting(let future):
            return future
        case .ready, .empty:
            let future = RedisConnection.connecting(to: pool.url, on: eventLoop, options: pool.options).map { connection in
                // Pipelined ahead of the first command; a script the server refuses shows up as that command's error.
                for script in pool.scripts { _ = connection.send(["SCRIPT", "LOAD", .string(script.source)]) }
                return connection
            }
            slots[index] = .connecting(future)
            let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
            future.whenComplete { result in
                let connections = loopBound.value
                switch result {
                case .success(let connection) where pool.isClosed:
                    connections.slots[index] = .empty
                    connection.channel.close(promise: nil)
                case .success(let connection): connections.slots[index] = .ready(connection)
                case .failure: connections.slots[index] = .empty  // the next command tries again
                }
            }
            return future
        }
    }

    func takeAll() -> [RedisConnection] {
        defer { slots = Array(repeating: .empty, count: slots.count) }
        return slots.compactMap { if case .ready(let connection) = $0 { connection } else { nil } }
    }
}
