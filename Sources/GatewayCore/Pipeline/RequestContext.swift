import NIOCore
import NIOHTTP1

/// One request as the stages see it: what the edge parsed (read-only), then what earlier stages found.
///
/// A value the exchange owns and passes `inout` down the pipeline, so running the stages copies and allocates
/// nothing; a new request gets a new context instead of fields reset one by one.
public struct RequestContext {
    // MARK: from the edge (framing and target already checked)

    public let head: HTTPRequestHead
    /// The TCP peer; `clientIP` is who the request is for.
    public let peer: IPAddress
    /// The `Host` header as sent (h2: `:authority`), if any.
    public let host: Substring?
    /// The normalised path: routing and forwarding see this one (see `RequestPath`).
    public let path: Substring
    /// The path as the client sent it, for problem details and the access log.
    public let rawPath: Substring
    /// The query after `?`, still percent-encoded; nil when the target had no `?`.
    public let query: Substring?
    public let framing: RequestBodyFraming
    /// On a TLS connection, the names its certificate covers; nil on plain HTTP.
    public let presentedNames: [String]?
    /// The id every response and log line carries (the client's own when it sent a valid one).
    public var requestId: String

    // MARK: found by stages

    /// ClientIdentityStage: the peer, or the client a trusted proxy forwarded for.
    public var clientIP: IPAddress
    /// WAFStage: the rule that decided or counted the request, for the access log.
    public var wafFinding: WAFFinding?
    /// WAFStage: a limit on a body of unknown length, enforced by the edge as the body streams.
    public var bodyCutoff: BodyCutoff?
    /// WAFStage: its walk, while a shared rate store answers.
    var wafProgress: WAFProgress?
    /// RoutingStage: indices into the snapshot's `apis` and that API's `routes` (-1 until routed).
    public var apiIndex = -1
    public var routeIndex = -1
    /// RoutingStage: the matched route.
    public var route: CompiledRoute?
    /// RoutingStage: the path below the API's base path ("" for "/"), a slice of `path`.
    public var routePath: Substring = ""
    public var pathParameters = PathParameters()
    /// APIKeyStage: the key sent on a route that requires one (its name goes to the access log).
    public var apiKey: CompiledAPIKey?
    /// ThrottleStage: the limits being decided, while a shared limit store answers.
    var limitProgress: LimitProgress?
    /// CacheStage: what the cache did (access log `cache`), and on a GET miss where to store the response.
    public var cacheOutcome: CacheOutcome?
    public var cacheFill: CacheFill?
    /// The whole request body, once a stage asked for it with `.readBody` (then that stage runs again).
    public var body: ByteBuffer?
    /// What the operation a stage suspended on produced, for that stage's next run; the stage clears it.
    public var operationResult: OperationResult?
    /// Headers stages add to the response, whatever answers it (later `RateLimit`, `Cache-Status`).
    public var responseHeaders: [(name: String, value: String)] = []

    public init(head: HTTPRequestHead, peer: IPAddress, host: Substring?, path: Substring, rawPath: Substring,
                query: Substring?, framing: RequestBodyFraming, presentedNames: [String]? = nil, requestId: String) {
        self.head = head
        self.peer = peer
        self.host = host
        self.path = path
        self.rawPath = rawPath
        self.query = query
        self.framing = framing
        self.presentedNames = presentedNames
        self.requestId = requestId
        self.clientIP = peer
    }

    public var method: HTTPMethod { head.method }
    /// Whether the request has a body at all (declared by Content-Length, chunked, or an h2 DATA frame).
    public var hasBody: Bool { framing != .none }
}

/// How the request's body is delimited, once the edge has validated its framing headers.
public enum RequestBodyFraming: Sendable, Equatable {
    case none
    case contentLength(Int)
    case chunked
}
