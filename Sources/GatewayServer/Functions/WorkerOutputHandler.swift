import Logging
import NIOCore

/// One output pipe of a worker: each line becomes a log record tagged with the function, the stream and the
/// request of the worker's latest invocation. Lines are cut at 16 KB so a worker cannot grow the gateway's memory with one endless line.
final class WorkerOutputHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    static let maxLineBytes = 16 * 1024
    // Strong: the pipe may report its end after the function dropped the worker.
    private let function: HostedFunction
    private let worker: FunctionWorker
    private let stream: String
    private var pending: [UInt8] = []

    init(function: HostedFunction, worker: FunctionWorker, stream: String) {
        self.function = function
        self.worker = worker
        self.stream = stream
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        for byte in buffer.readableBytesView {
            if byte == UInt8(ascii: "\n") {
                emit()
            } else {
                pending.append(byte)
                if pending.count >= Self.maxLineBytes { emit() }
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !pending.isEmpty { emit() }
        // The pipe closes when the process ends: look now, and again shortly (the exit may land just after).
        worker.checkExit()
        let worker = NIOLoopBound(self.worker, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .milliseconds(20)) { worker.value.checkExit() }
        context.fireChannelInactive()
    }

    private func emit() {
        var line = String(decoding: pending, as: UTF8.self)
        pending.removeAll(keepingCapacity: true)
        if line.hasSuffix("\r") { line.removeLast() }
        var metadata: Logger.Metadata = ["function": "\(function.name)", "stream": "\(stream)"]
        if let requestId = worker.lastRequestId { metadata["requestId"] = "\(requestId)" }
        function.outputLogger.info("\(line)", metadata: metadata)
    }
}
