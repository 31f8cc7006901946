import NIOCore
/// What a stage decides about a request.
public enum StageVerdict {
    /// On to the next stage (after the last one, the route's integration).
    case next
    /// Answer now; later stages and the integration never see the request.
    case respond(GatewayAnswer)
    /// Read the whole body first (at most `limit` bytes, else 413), put it in `RequestContext.body`, and run this
    /// stage again.
    case readBody(limit: Int)
    /// Wait for I/O the shell performs; the shell puts the result in `RequestContext.operationResult` and runs this
    /// stage again, on the request's own event loop.
    case suspend(any PendingOperation)
}

/// Work a stage waits for (later: a shared-store round trip, a function invocation, a coalesced cache miss).
/// The stage only describes it; the shell starts it, so stages stay free of sockets and threads.
public protocol PendingOperation: AnyObject {
    /// Starts the work; `completion` is called once, on any thread (the shell hops back to the request's loop).
    func start(_ completion: @escaping @Sendable (OperationResult) -> Void)
    /// The request went away (client closed, timeout): stop if possible. A late completion is ignored.
    func cancel()
}

public typealias OperationResult = Result<any Sendable, any Error>

/// A response the gateway makes itself: a problem (RFC 9457) or fixed content (a mock; later a cached entry).
public struct GatewayAnswer: Sendable {
    /// What happens to the connection after this answer, when the request's body may not have been read.
    public enum Connection: Sendable, Equatable {
        /// Keep it: an unread body is read and dropped (within a time limit) so the next request can follow.
        case keepOpen
        /// Close it: the request cannot be trusted to end where its framing says (or is too large to drain).
        case close
        /// Close only if part of the body is still unread (a refusal decided before the body was read).
        case closeIfBodyUnread
    }

    public var status: Int
    public var contentType: String?
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var connection: Connection
    /// Set on problems: the access log's `errorCode`.
    public var errorCode: GatewayErrorCode?
    /// A body held as bytes ready for the wire (a cache hit): sent as it is, without a copy; replaces `body`.
    public var bodyBuffer: ByteBuffer?
    /// No `Content-Length` (a 304: it has no content, and its length would be the stored response's).
    public var omitsContentLength = false
    /// `headers` and the `Content-Length` as HTTP/1.1 header lines ready for the wire (a cache hit's, serialised
    /// when it was stored): an HTTP/1.1 head copies them in one piece.
    public var fieldLines: ByteBuffer?
    /// A cache hit's `Cache-Status` and `Age`, written as numbers straight into the head (no strings per hit).
    public var cacheFreshness: CacheFreshness?

    public init(status: Int, contentType: String? = nil, headers: [(name: String, value: String)] = [], body: [UInt8],
                connection: Connection = .keepOpen, errorCode: GatewayErrorCode? = nil) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
        self.connection = connection
        self.errorCode = errorCode
    }

    /// A problem+json answer; `status` overrides the code's own (e.g. 417 for an unsupported Expect).
    public static func problem(_ code: GatewayErrorCode, _ detail: String, requestId: String,
                               connection: Connection = .keepOpen, status: Int? = nil,
                               headers: [(name: String, value: String)] = [],
                               extensions: [(String, String)] = []) -> GatewayAnswer {
        let document = ProblemDocument(code: code, detail: detail, requestId: requestId, status: status,
                                       extensions: extensions)
        return GatewayAnswer(status: document.status, contentType: ProblemDocument.contentType, headers: headers,
                             body: document.encoded(), connection: connection, errorCode: code)
    }
}
