/// A compiled schema: an immutable table of nodes whose references are already resolved. Validation reads it
/// only, so one instance serves any number of threads.
public final class CompiledSchema: Sendable {
    let nodes: [SchemaNode]
    let resources: [RuntimeResource]
    let root: NodeID

    /// Nested schema evaluations allowed before giving up: bounds the stack for cyclic refs and deep instances, and
    /// stays well inside a 512 KB thread stack (Swift concurrency threads) even in debug builds.
    public static let maxEvaluationDepth = 250
    /// Stack a validation may use by default: safe on a 512 KB task thread. Event loops (8 MB) can allow more.
    public static let defaultMaxStackBytes = 256 * 1024

    /// The schema flattened for one-pass checks of raw bytes; nil when it uses keywords that form cannot check.
    let onePass: OnePassProgram?

    init(nodes: [SchemaNode], resources: [RuntimeResource], root: NodeID) {
        self.nodes = nodes
        self.resources = resources
        self.root = root
        onePass = OnePassProgram(nodes: nodes, root: root)
    }

    /// Whether `bytes` are certainly a JSON document this schema accepts, decided in one pass that builds nothing.
    /// False means "not certain" (invalid, or beyond what the pass decides): parse and `validate` to know, and to
    /// get the errors. A cheap first step for the common valid request body.
    public func certainlyAccepts(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 512) -> Bool {
        guard let onePass else { return false }
        return OnePassScanner.accepts(onePass, bytes.assumingMemoryBound(to: UInt8.self), maxDepth: maxDepth)
    }

    /// Validates `instance`, reporting every violation up to `maxErrors` (0: only the verdict, fastest).
    /// `maxDepth` and `maxStackBytes` may be raised on threads with large stacks (an event loop's 8 MB, not a
    /// 512 KB task thread); whichever limit is reached first ends evaluation with an error.
    public func validate(_ instance: JSONInstance, maxErrors: Int = 50,
                         maxDepth: Int = CompiledSchema.maxEvaluationDepth,
                         maxStackBytes: Int = CompiledSchema.defaultMaxStackBytes) -> ValidationResult {
        let evaluator = Evaluator(schema: self, maxErrors: maxErrors, maxDepth: maxDepth, maxStackBytes: maxStackBytes)
        var annotations: EvaluatedLocations?
        let valid = evaluator.evaluate(root, instance, &annotations)
        return ValidationResult(isValid: valid, errors: evaluator.errors, truncated: evaluator.truncated)
    }

    /// The verdict alone, without building any error.
    public func isValid(_ instance: JSONInstance) -> Bool {
        validate(instance, maxErrors: 0).isValid
    }
}
