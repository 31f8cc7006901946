/// Why a route key string was rejected; `message` is shown to the operator verbatim.
public struct RouteKeyError: Error, Equatable, Sendable {
    public let message: String
    public init(message: String) { self.message = message }
}

extension RouteKey {
    /// Parses `METHOD /path` or `$default`; config-time only, so clarity beats speed here.
    public static func parse(_ text: String) -> Result<RouteKey, RouteKeyError> {
        .failure(RouteKeyError(message: "not implemented"))
    }
}
