/// One concern of the request path (routing, validation; later WAF, API keys, limits, cache).
///
/// Built once per snapshot from its slice of the config and cheap per request. Pure: it reads and annotates the
/// request and returns a verdict; it never writes to a socket, never calls another stage, and takes time from an
/// injected clock. The order of stages lives only in `RequestPipeline`.
public protocol RequestStage: Sendable {
    /// A short name for tests and diagnostics ("routing").
    var name: String { get }
    func evaluate(_ request: inout RequestContext) -> StageVerdict
}
