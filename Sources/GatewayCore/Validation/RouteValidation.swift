import JSONSchema

/// What a route checks before its integration runs (contract: route `validate`), compiled once per snapshot.
public struct RouteValidation: Sendable {
    public let parameters: [ParameterCheck]
    /// The body's schema; a route with one only accepts JSON bodies (another media type → 415).
    public let body: CompiledSchema?
    /// At most this many violations are listed in a 400; the response says when there were more.
    public let maxErrors: Int

    public static let defaultMaxErrors = 50

    public init(parameters: [ParameterCheck], body: CompiledSchema?, maxErrors: Int = defaultMaxErrors) {
        self.parameters = parameters
        self.body = body
        self.maxErrors = maxErrors
    }
}

/// One `validate.parameters` entry: `path.NAME`, `query.NAME` or `header.NAME`.
public struct ParameterCheck: Sendable {
    public let location: ValidationViolation.Location
    /// As configured; header names are lower-cased (they match case-insensitively).
    public let name: String
    public let required: Bool
    public let schema: CompiledSchema?
    public let coercion: ParameterCoercion

    public init(location: ValidationViolation.Location, name: String, required: Bool, schema: CompiledSchema?,
                coercion: ParameterCoercion) {
        self.location = location
        self.name = location == .header ? name.lowercased() : name
        self.required = required
        self.schema = schema
        self.coercion = coercion
    }
}
