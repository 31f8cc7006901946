import GatewayCore
import GatewayIntegrations
import NIOCore

/// A route's backend as the edge runs it, after the last stage let the request through.
///
/// One instance per route, per event loop and snapshot (`EdgeSnapshot`). A new kind of integration is a new type
/// here and one line in `EdgeSnapshot.makeIntegration`; the connection only sees this protocol.
protocol EdgeIntegration: AnyObject {
    /// Prepares the answer to `request`. `body` is what a stage already read (the whole body when `requestEnded`).
    /// The request is lent for this call only, so nothing here may call back into the connection: a whole answer
    /// is returned (a mock), or a session whose `proceed` does the I/O once the exchange holds its request again.
    /// `spare` is the session this connection used before, for the integration to reuse (so a keep-alive
    /// connection allocates none per request).
    func start(_ request: borrowing RequestContext, body: ByteBuffer?, requestEnded: Bool, host: any IntegrationHost,
               reusing spare: (any IntegrationSession)?) -> IntegrationStart
}

/// What `EdgeIntegration.start` produced.
enum IntegrationStart {
    /// The whole answer, known at once (a mock).
    case answer(GatewayAnswer)
    /// A session that answers later, once `proceed` is called.
    case session(any IntegrationSession)
}

/// An integration answering one exchange: it takes the rest of the request as it arrives.
protocol IntegrationSession: AnyObject {
    /// Starts the work `start` prepared (connect, send); from here the session may call back into the host, even
    /// before this returns.
    func proceed()
    func requestBody(_ buffer: ByteBuffer)
    func requestEnd()
    /// The client's read burst ended: what was written for the backend goes out.
    func flushRequest()
    /// The client connection's writability: a streamed response stops being read while the client cannot take it.
    func clientWritabilityChanged(isWritable: Bool)
    /// The exchange no longer wants an answer (client gone, timeout, refused body): release everything now.
    func cancel()
    /// The client left while others wait for this response's cache fill: read the rest into `fill` instead of
    /// cancelling, within `timeout`. False when the session cannot (nothing in flight, request not fully sent).
    func handOff(to fill: DetachedCacheFill, timeout: TimeAmount) -> Bool
}

extension IntegrationSession {
    func handOff(to fill: DetachedCacheFill, timeout: TimeAmount) -> Bool { false }
}

/// What an integration may do with the exchange it answers; the connection implements it, and checks on every
/// call that the exchange is still the one the integration was started for.
protocol IntegrationHost: AnyObject {
    var allocator: ByteBufferAllocator { get }
    var clientIsWritable: Bool { get }
    /// HTTP/1.0 and HTTP/2 clients take a response body without chunked framing (h2 frames it, 1.0 reads to close).
    var takesUnframedBody: Bool { get }
    /// Still waiting for this integration's answer (not answered, timed out or closed meanwhile).
    var awaitsIntegration: Bool { get }
    /// Some of the response already reached the client: a failure can only cut the connection now.
    var responseStarted: Bool { get }
    /// Client and network facts a forwarded request carries (`X-Forwarded-For`, `-Proto`).
    var client: ClientConnection { get }
    /// The port the client connected to (`X-Forwarded-Port` in function events).
    var localPort: Int { get }
    /// `HTTP/1.0`, `HTTP/1.1` or `HTTP/2.0` (the `protocol` of function events).
    var httpProtocol: String { get }

    /// The backend is being called: the access log's `integrationLatencyMs` counts from here.
    func integrationStarted()
    /// A whole response at once (mock; later a function's result).
    func answer(_ answer: GatewayAnswer)
    /// The backend failed before any of its response reached the client: a 502 problem with `detail`.
    func integrationFailed(_ detail: String)
    /// A function failed: its error type goes to the access log (`functionError`), never to the client.
    func recordFunctionError(_ type: String)
    /// The backend failed after part of its response reached the client: the connection is cut, the only honest
    /// signal left.
    func integrationCut()

    // A streamed response (HTTP forwarding).
    func responseHead(_ head: UpstreamResponseHead)
    func responseBody(_ body: ByteBuffer)
    func responseReadComplete()
    func responseEnd()
    /// Drops a proxied head not yet written (its upstream failed before any byte reached the client).
    func dropHeldResponseHead()

    /// Back-pressure on the client's request body.
    func pauseRequestBody()
    func resumeRequestBody()
}

/// Facts about the client connection a request came in on.
struct ClientConnection {
    let peer: IPAddress
    let peerText: String
    /// "http" or "https": the listener this connection came in on, for `X-Forwarded-Proto`.
    let forwardedProto: String
    /// On TLS connections, the names the presented certificate covers (see `MisdirectedRequestStage`).
    let presentedNames: [String]?
}
