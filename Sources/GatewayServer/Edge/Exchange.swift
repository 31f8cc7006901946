import GatewayCore
import NIOCore
import NIOHTTP1

/// One request and its response on a connection: everything a new request replaces, as one value.
///
/// The connection (`GatewayHandler`) holds the current exchange and swaps in a fresh one for the next request,
/// so no field can leak from one request into the next.
struct Exchange {
    /// Where request body bytes go as they arrive.
    enum BodySink: Equatable {
        /// Nowhere: nothing wants them (answered already, or no body expected).
        case discard
        /// Into `collectedBody` until the end, for the stage that asked with `.readBody`.
        case collect
        /// Into `collectedBody` while the pipeline waits on an operation; handed to the integration after.
        case hold
        /// To the integration's session, as they come.
        case integration
    }

    var startNanos: UInt64 = 0
    var method = HTTPMethod.GET
    var version = HTTPVersion.http1_1
    var keepAlive = true
    /// The snapshot (and this loop's integrations for it) the request started on, kept until it finishes.
    var edge: EdgeSnapshot?
    var requestId = ""
    /// The path as sent, for problem details and the access log (a slice of the request's own URI).
    var logPath: Substring = ""
    var host: Substring?
    /// Set once the head has passed the edge's framing and path checks; the stages read and annotate it.
    var request: RequestContext?
    /// The `Expect` value, answered (100 or 417) when the request path first wants the body.
    var expect: String?

    // Request side.
    var requestHasBody = false
    var requestEnded = false
    var bodyBytes = 0
    var maxBodySize = 0
    var bodySink = BodySink.discard
    var collectedBody: ByteBuffer?
    /// The stage to run again once the body (`collect`) or an operation's result (`suspend`) is in.
    var resumeAt = 0
    var pendingOperation: (any PendingOperation)?
    /// The integration answering this request, while it is still taking request body or producing the response.
    var session: (any IntegrationSession)?

    // Response side.
    var response = ResponseWriter(http2: false, version: .http1_1)
    var responseEnded = false
    var status = 0
    var errorCode: GatewayErrorCode?
    /// A function's error type (`ValueError`, `Runtime.ExitError`...), for the access log only.
    var functionError: String?
    /// A cacheable response being copied for the cache as it streams (route `cache`, a GET miss).
    var cacheCapture: CacheCapture?
    var integrationStartNanos: UInt64 = 0
    var integrationEndNanos: UInt64 = 0

    init() {}

    init(method: HTTPMethod, version: HTTPVersion, keepAlive: Bool, edge: EdgeSnapshot, requestId: String,
         http2: Bool, startNanos: UInt64) {
        self.startNanos = startNanos
        self.method = method
        self.version = version
        self.keepAlive = keepAlive
        self.edge = edge
        self.requestId = requestId
        self.maxBodySize = edge.snapshot.settings.limits.maxBodySize
        self.response = ResponseWriter(http2: http2, version: version)
    }

    var isHTTP10: Bool { version.major == 1 && version.minor == 0 }
}
