import NIOCore
import Synchronization

/// The last handler of a test client's pipeline: keeps every byte the server sent, for the test to inspect.
/// Errors are dropped: a server cutting the connection is what several of these tests provoke.
final class ByteCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let bytes = Mutex<[UInt8]>([])

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {}
}
