import NIOCore
import NIOHTTP1

/// The requests of one connection on one event loop: request `index`, `index + connections`, … each sent when it is
/// due (or as soon as the previous answer is in, when late), one at a time over keep-alive.
final class LoadConnection: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let run: LoopRun
    /// The next request of this connection's share of the schedule.
    private(set) var nextIndex: Int
    private var inFlight: (index: Int, intended: Int64)?
    private var status = 0
    private var dueTimer: Scheduled<Void>?
    private var timeoutTimer: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    private var closedByUs = false

    init(run: LoopRun, nextIndex: Int) {
        self.run = run
        self.nextIndex = nextIndex
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        sendWhenDue()
    }

    /// Sends the next request now if it is due and nothing is in flight, or arms a timer for when it is.
    func sendWhenDue() {
        guard let context, inFlight == nil, dueTimer == nil else { return }
        guard nextIndex < run.totalRequests else {
            finish()
            return
        }
        let intended = run.start + run.plan.intendedOffset(of: nextIndex)
        let now = Int64(NIODeadline.now().uptimeNanoseconds)
        if now >= intended {
            send(context, intended: intended, now: now)
        } else {
            dueTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(UInt64(intended))) { [self] in
                dueTimer = nil
                guard let context = self.context else { return }
                send(context, intended: intended, now: Int64(NIODeadline.now().uptimeNanoseconds))
            }
        }
    }

    private func send(_ context: ChannelHandlerContext, intended: Int64, now: Int64) {
        let index = nextIndex
        nextIndex += run.plan.connections
        inFlight = (index, intended)
        status = 0
        let key = run.keyIndex(of: index)
        run.results.recordSent(index: index, second: run.second(of: intended), key: key, lateBy: now - intended)
        let request = run.requests[key ?? 0]
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if let body = request.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        timeoutTimer = context.eventLoop.assumeIsolated().scheduleTask(in: run.timeout) { [self] in
            timeoutTimer = nil
            // No answer in time: counted as an error; the connection is replaced (its state is unknown).
            self.context?.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
        case .body:
            break
        case .end:
            guard let (index, intended) = inFlight else { return }
            inFlight = nil
            timeoutTimer?.cancel()
            timeoutTimer = nil
            let now = Int64(NIODeadline.now().uptimeNanoseconds)
            run.results.recordAnswer(status: status, second: run.second(of: intended), key: run.keyIndex(of: index),
                                     latencyNanoseconds: now - intended)
            sendWhenDue()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        dueTimer?.cancel()
        dueTimer = nil
        timeoutTimer?.cancel()
        timeoutTimer = nil
        if let (index, intended) = inFlight {
            inFlight = nil
            run.results.recordError(second: run.second(of: intended), key: run.keyIndex(of: index))
        }
        self.context = nil
        guard !closedByUs else { return }
        // The server closed (or the request timed out): carry on with the rest of this share on a new connection.
        run.connect(from: nextIndex)
    }

    private func finish() {
        guard !closedByUs else { return }
        closedByUs = true
        context?.close(promise: nil)
        run.connectionFinished()
    }
}
