/// Compiles JSON Schema documents into validators. Documents that references may point at are registered first;
/// references then resolve only within registered documents and the built-in meta-schemas — never over the network
/// or the filesystem.
public struct SchemaCompiler: Sendable {
    public let defaultDialect: Dialect
    /// Assert `format` for every dialect (otherwise only when a 2020-12 meta-schema enables format-assertion).
    public let formatAssertion: Bool
    private var registry = SchemaRegistry.builtIn

    /// The base URI given to a compiled document that has neither `baseURI` nor an `$id`.
    public static let defaultBaseURI = "urn:portcullis:schema"

    public init(defaultDialect: Dialect = .draft2020_12, formatAssertion: Bool = false) {
        self.defaultDialect = defaultDialect
        self.formatAssertion = formatAssertion
    }

    /// Makes `document` available to references under `uri` and under every `$id` it declares.
    public mutating func register(_ document: JSONInstance, uri: String) throws(SchemaError) {
        _ = try registry.add(document, uri: uri, defaultDialect: defaultDialect)
    }

    /// Compiles the schema at `pointer` inside `document`; `#/...` refs resolve within the whole document.
    public func compile(_ document: JSONInstance, pointer: String = "", baseURI: String? = nil)
        throws(SchemaError) -> CompiledSchema {
        var registry = self.registry
        let number = try registry.add(document, uri: baseURI ?? SchemaCompiler.defaultBaseURI, defaultDialect: defaultDialect)
        guard JSONPointer.resolve(pointer, in: document) != nil else {
            throw SchemaError(pointer: pointer, message: "no schema at this pointer")
        }
        var session = CompileSession(registry: registry, mainDocument: number, formatAssertion: formatAssertion)
        let root = try session.node(at: LocationKey(document: number, pointer: pointer))
        return session.finish(root: root)
    }
}
