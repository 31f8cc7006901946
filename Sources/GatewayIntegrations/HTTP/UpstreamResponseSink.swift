import NIOCore
import NIOHTTP1

/// Receives one upstream response, on the event loop that owns both the client and the upstream channel.
///
/// A protocol rather than closures so the per-request path allocates nothing to deliver parts.
public protocol UpstreamResponseSink: AnyObject {
    func upstreamResponseHead(_ head: UpstreamResponseHead)
    /// Body bytes exactly as framed by the upstream (chunked framing included), or only the payload when the
    /// request was started with `dechunk`.
    func upstreamResponseBody(_ body: ByteBuffer)
    /// The response is complete; the connection has already gone back to its pool (or been closed).
    func upstreamResponseEnd()
    /// End of one read burst: the moment to flush what was written to the client.
    func upstreamReadComplete()
    /// The connection failed before the response ended.
    func upstreamFailed(_ error: UpstreamError)
    /// The upstream channel's writability changed: pause or resume reading the client's request body.
    func upstreamWritabilityChanged(isWritable: Bool)
}

/// Why forwarding to an upstream failed.
public enum UpstreamError: Error, Sendable, Equatable {
    /// TCP connect failed (refused, unreachable, timed out): safe to try another target.
    case connectFailed(String)
    /// The connection closed or reset before the response ended.
    case connectionLost(responseStarted: Bool)
    /// The upstream sent something that is not valid HTTP/1.1.
    case protocolError(String)
}
