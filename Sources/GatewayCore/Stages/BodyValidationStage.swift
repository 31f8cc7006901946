/// The route's body schema: the body must be JSON (415 otherwise), is read in full (bounded by `maxBodySize`)
/// before anything reaches the integration, and must match (400 listing every violation up to the route's cap).
public struct BodyValidationStage: RequestStage {
    let maxBodySize: Int

    public init(maxBodySize: Int) {
        self.maxBodySize = maxBodySize
    }

    public var name: String { "body-validation" }

    public func evaluate(_ request: inout RequestContext) -> StageVerdict {
        guard let validation = request.route?.validation, let schema = validation.body else { return .next }
        guard let body = request.body else {
            guard request.hasBody else {
                return .respond(.problem(.badRequestBody, "this route requires a JSON request body", requestId: request.requestId))
            }
            guard let contentType = request.head.headers.first(name: "content-type"),
                  MediaType.isJSON(Substring(contentType)) else {
                return .respond(.problem(.unsupportedMediaType,
                                         "the request body must be JSON (application/json or a +json media type)",
                                         requestId: request.requestId, connection: .close))
            }
            return .readBody(limit: maxBodySize)
        }
        let outcome = body.withUnsafeReadableBytes { bytes in
            RequestValidator.checkBody(schema, bytes: bytes, maxErrors: validation.maxErrors)
        }
        switch outcome {
        case .valid:
            return .next
        case .unparsable(let reason):
            return .respond(.problem(.badRequestBody, "the request body is not valid JSON: \(reason)",
                                     requestId: request.requestId))
        case .invalid(let verdict):
            return .respond(.problem(
                .badRequestBody, "the request body does not match the route's schema", requestId: request.requestId,
                connection: .closeIfBodyUnread,
                extensions: ValidationViolation.problemExtensions(verdict.violations, truncated: verdict.truncated)))
        }
    }
}
