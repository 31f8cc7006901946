import NIOCore

/// What can go wrong with a command besides an error reply (those are `RESPValue.error`).
public enum RedisClientError: Error, Equatable, Sendable {
    /// The server sent something that is not a RESP reply the client accepts; the connection is closed.
    case protocolViolation(String)
    /// No reply within the command timeout; the connection is closed (later replies could not be matched).
    case timedOut
    /// The connection closed before the reply came.
    case connectionClosed
    /// A reply arrived that no command was waiting for.
    case unexpectedReply
    /// AUTH or SELECT was refused while connecting.
    case refused(String)
}

/// A command and the promise its reply completes; `expectsReply` is false for commands answered only by pushes
/// (SUBSCRIBE in RESP3), whose write completes the promise with `.null`.
struct RedisRequest {
    let arguments: [RESPArgument]
    let promise: EventLoopPromise<RESPValue>
    var expectsReply = true
}

/// Encodes commands and completes their promises with replies, in order (RESP replies come in command order, so
/// pipelining needs nothing more than a queue). Any protocol violation, timeout or close fails every command still
/// waiting and closes the connection: after one, replies could no longer be matched to commands.
final class RedisClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private var parser: RESPParser
    private var pending = CircularBuffer<(promise: EventLoopPromise<RESPValue>, deadline: NIODeadline)>()
    private var incoming: ByteBuffer?
    private let commandTimeout: TimeAmount
    private var timer: Scheduled<Void>?
    private var failed: RedisClientError?
    private var flushScheduled = false
    /// Where out-of-band pushes go (pub/sub messages in RESP3); dropped when nil.
    private let onPush: (@Sendable (RESPValue) -> Void)?

    init(limits: RESPParser.Limits, commandTimeout: TimeAmount, onPush: (@Sendable (RESPValue) -> Void)? = nil) {
        self.parser = RESPParser(limits: limits)
        self.commandTimeout = commandTimeout
        self.onPush = onPush
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failed {
            request.promise.fail(failed)
            promise?.fail(failed)
            return
        }
        var bytes = context.channel.allocator.buffer(capacity: 64)
        RESPEncoder.write(request.arguments, into: &bytes)
        if request.expectsReply {
            pending.append((request.promise, .now() + commandTimeout))
            if pending.count == 1 { armTimer(context) }
        } else {
            request.promise.succeed(.null)
        }
        context.write(wrapOutboundOut(bytes), promise: promise)
        scheduleFlush(context)
    }

    /// One flush after every command written in this event-loop tick (a flush from the caller flushes at once).
    private func scheduleFlush(_ context: ChannelHandlerContext) {
        guard !flushScheduled else { return }
        flushScheduled = true
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (handler, context) = loopBound.value
            handler.flushScheduled = false
            context.flush()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if incoming == nil {
            incoming = bytes
        } else {
            incoming!.writeBuffer(&bytes)
        }
        do {
            while var buffer = incoming {
                incoming = nil  // uniquely owned while parsing: no copy on write
                let reply = try parser.next(from: &buffer)
                incoming = buffer.readableBytes > 0 ? buffer : nil
                guard let reply else { break }
                if case .push = reply {  // out-of-band (RESP3): no command waits for it
                    onPush?(reply)
                    continue
                }
                guard let next = pending.popFirst() else { throw RedisClientError.unexpectedReply }
                next.promise.succeed(reply)
                armTimer(context)
            }
            incoming?.discardReadBytes()
        } catch let error as RESPError {
            fail(context, .protocolViolation(error.message))
        } catch {
            fail(context, error as? RedisClientError ?? .protocolViolation("\(error)"))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(failed ?? .connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        fail(context, .connectionClosed)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll(failed ?? .connectionClosed)
    }

    /// The timer tracks the oldest command still waiting.
    private func armTimer(_ context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        guard let oldest = pending.first else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: oldest.deadline) {
            let (handler, context) = loopBound.value
            handler.fail(context, .timedOut)
        }
    }

    private func fail(_ context: ChannelHandlerContext, _ error: RedisClientError) {
        guard failed == nil else { return }
        failed = error
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisClientError) {
        timer?.cancel()
        timer = nil
        while let next = pending.popFirst() { next.promise.fail(error) }
    }
}
