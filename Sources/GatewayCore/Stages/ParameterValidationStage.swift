/// The route's `validate.parameters`: path, query and header values against their schemas, every violation listed
/// (up to the route's cap) in one 400.
public struct ParameterValidationStage: RequestStage {
    public init() {}

    public var name: String { "parameter-validation" }

    public func evaluate(_ request: inout RequestContext) -> StageVerdict {
        guard let validation = request.route?.validation, !validation.parameters.isEmpty else { return .next }
        let headers = request.head.headers
        // A header checked here and then nominated by Connection would be dropped on the way upstream: the upstream
        // would never see the value that passed.
        if let nominated = ConnectionTokens.nominated(headers),
           let check = validation.parameters.first(where: { check in
               check.location == .header && nominated.contains { $0.equalsASCIICaseInsensitive(check.name) }
           }) {
            return .respond(.problem(.badRequest, "Connection must not nominate \(check.name), which this route validates",
                                     requestId: request.requestId, connection: .close))
        }
        let verdict = RequestValidator.checkParameters(validation, path: request.pathParameters,
                                                       query: QueryParameters(request.query)) { name in
            let values = headers[name]
            return values.isEmpty ? nil : values.joined(separator: ", ")
        }
        guard !verdict.isValid else { return .next }
        return .respond(.problem(
            .badRequestParameters, "the request's parameters are invalid", requestId: request.requestId,
            connection: .closeIfBodyUnread,
            extensions: ValidationViolation.problemExtensions(verdict.violations, truncated: verdict.truncated)))
    }
}
