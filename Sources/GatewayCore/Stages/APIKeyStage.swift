/// On a route with `apiKeyRequired`: the `x-api-key` header must hold an enabled key whose plan covers the route's
/// API (403 INVALID_API_KEY otherwise). The key found is what the throttle stage meters and the access log names.
///
/// As in AWS API Gateway, a route without `apiKeyRequired` ignores any key sent: plans meter only keyed routes.
public struct APIKeyStage: RequestStage {
    let keys: APIKeyTable

    public init(keys: APIKeyTable) {
        self.keys = keys
    }

    public var name: String { "apiKey" }

    public static let headerName = "x-api-key"

    public func evaluate(_ request: inout RequestContext) -> StageVerdict {
        guard let route = request.route, route.apiKeyRequired else { return .next }
        var presented: String?
        for (name, value) in request.head.headers where name.utf8.count == 9 && ASCIIBytes.equalIgnoringCase(name.utf8, Self.headerName.utf8) {
            // Two keys would leave open which one pays: refuse rather than pick.
            guard presented == nil else { return refuse(request, "send exactly one x-api-key header") }
            presented = value
        }
        guard let presented, !presented.isEmpty else {
            return refuse(request, "this route needs an API key in the x-api-key header")
        }
        guard let key = keys.key(presented: presented) else { return refuse(request, "the API key is not valid") }
        // The key is known from here on: the access log names it even when it is refused.
        request.apiKey = key
        // Unknown, disabled and not covering this API read the same to the client, so a key cannot be probed.
        guard key.enabled, key.plan.apis.contains(request.apiIndex) else {
            return refuse(request, "the API key is not valid")
        }
        return .next
    }

    private func refuse(_ request: RequestContext, _ detail: String) -> StageVerdict {
        .respond(.problem(.invalidAPIKey, detail, requestId: request.requestId))
    }
}
