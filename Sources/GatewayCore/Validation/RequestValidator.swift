import JSONSchema

/// Runs a route's `validate` rules on a request: parameters first, then the body (contract order), reporting every
/// violation up to the route's cap. Pure: the edge hands in the request's pieces and sends the verdict.
public enum RequestValidator {
    public struct Verdict: Sendable, Equatable {
        public var violations: [ValidationViolation] = []
        public var truncated = false
        public var isValid: Bool { violations.isEmpty }
    }

    /// The deepest JSON body accepted; deeper nesting is refused while parsing, before any recursion can hurt.
    public static let maxBodyDepth = 256
    /// Nested schema evaluations allowed: room for recursive schemas over a `maxBodyDepth`-deep body, still a
    /// small part of an event loop thread's 8 MB stack; a reference cycle that never advances stops here.
    public static let maxEvaluationDepth = 2048
    /// Validation runs on an event loop thread (8 MB stack by default): half of it at most, which a release
    /// build needs only for very deep recursive schemas (debug frames are many times larger).
    public static let maxStackBytes = 4 * 1024 * 1024

    public static func checkParameters(_ validation: RouteValidation, path: PathParameters, query: QueryParameters,
                                       header: (String) -> String?) -> Verdict {
        var verdict = Verdict()
        for check in validation.parameters {
            let budget = validation.maxErrors - verdict.violations.count
            guard budget > 0 else {
                verdict.truncated = true
                break
            }
            let raw: String?
            switch check.location {
            case .path:
                guard let encoded = path[check.name] else { raw = nil; break }
                guard let decoded = PercentDecoding.decode(encoded) else {
                    verdict.violations.append(malformed(check))
                    continue
                }
                raw = decoded
            case .query:
                switch query.values(check.name) {
                case .success(let values): raw = values.first
                case .failure:
                    verdict.violations.append(malformed(check))
                    continue
                }
            case .header:
                raw = header(check.name)
            case .body:
                continue
            }
            guard let raw else {
                if check.required {
                    verdict.violations.append(ValidationViolation(location: check.location, name: check.name,
                                                                  keyword: "required", message: "is required"))
                }
                continue
            }
            guard let schema = check.schema else { continue }
            let result = schema.validate(check.coercion.convert(raw), maxErrors: budget, maxDepth: maxEvaluationDepth,
                                     maxStackBytes: maxStackBytes)
            for error in result.errors {
                verdict.violations.append(ValidationViolation(
                    location: check.location, name: check.name, pointer: error.instancePointer.isEmpty ? nil : error.instancePointer,
                    keyword: error.keyword, message: error.message))
            }
            if result.truncated { verdict.truncated = true }
        }
        return verdict
    }

    public enum BodyOutcome: Sendable {
        case valid
        /// Not JSON at all (or nested deeper than `maxBodyDepth`): the parser's message.
        case unparsable(String)
        case invalid(Verdict)
    }

    public static func checkBody(_ schema: CompiledSchema, bytes: UnsafeRawBufferPointer, maxErrors: Int) -> BodyOutcome {
        // Most bodies are valid, and one pass over their bytes says so without building them; the parser and the
        // evaluator run only when it is not certain (and produce the errors).
        if schema.certainlyAccepts(bytes, maxDepth: maxBodyDepth) { return .valid }
        let instance: JSONInstance
        do {
            instance = try JSONInstance.parse(bytes, maxDepth: maxBodyDepth)
        } catch {
            return .unparsable(error.description)
        }
        let result = schema.validate(instance, maxErrors: maxErrors, maxDepth: maxEvaluationDepth,
                                     maxStackBytes: maxStackBytes)
        guard !result.isValid else { return .valid }
        let violations = result.errors.map {
            ValidationViolation(location: .body, pointer: $0.instancePointer, keyword: $0.keyword, message: $0.message)
        }
        return .invalid(Verdict(violations: violations, truncated: result.truncated))
    }

    private static func malformed(_ check: ParameterCheck) -> ValidationViolation {
        ValidationViolation(location: check.location, name: check.name, keyword: "encoding",
                            message: "is not valid percent-encoded UTF-8")
    }
}
