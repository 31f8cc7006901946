import GatewayCore
import JSONSchema

/// The config's `models` and the compiler every schema in the config goes through.
///
/// Route and parameter schemas are compiled inside a document that also holds the models, so
/// `{"$ref": "#/models/NAME"}` resolves exactly as it reads in gateway.json, and a model may refer to another.
/// Formats the contract lists are asserted (not just annotated) in every dialect.
struct SchemaLibrary {
    let models: JSONInstance
    let compiler = SchemaCompiler(defaultDialect: .draft2020_12, formatAssertion: true)

    /// `models` must be an object of schemas; each one is compiled so a broken model is reported even if unused.
    static func decode(_ node: Node?) -> SchemaLibrary? {
        guard let node else { return SchemaLibrary(models: .object(JSONSchema.JSONObject())) }
        guard case .object(let object) = node.value else {
            node.typeError("an object of schemas")
            return nil
        }
        guard let models = convert(node.value, at: node) else { return nil }
        let library = SchemaLibrary(models: models)
        let before = node.context.errorCount
        let document = JSONInstance.object(JSONSchema.JSONObject([("models", models)]))
        for member in object.members {
            let pointer = JSONPointer.appending("/models", member.key)
            _ = library.compile(in: document, at: pointer, configPointer: pointer, context: node.context)
        }
        return node.context.errorCount == before ? library : nil
    }

    /// Compiles the schema in `node` (a route's `validate.body` or a parameter's `schema`).
    func compile(_ node: Node) -> CompiledSchema? {
        guard let schema = Self.convert(node.value, at: node) else { return nil }
        let document = JSONInstance.object(JSONSchema.JSONObject([("models", models), ("schema", schema)]))
        return compile(in: document, at: "/schema", configPointer: node.pointer, context: node.context)
    }

    /// Errors are reported in gateway.json's terms: `configPointer` is where the schema at `pointer` came from.
    private func compile(in document: JSONInstance, at pointer: String, configPointer: String,
                         context: DecodeContext) -> CompiledSchema? {
        do {
            return try compiler.compile(document, pointer: pointer)
        } catch {
            context.error(Self.configPointer(error.pointer, schemaAt: configPointer), error.message)
            return nil
        }
    }

    /// Maps a pointer inside the compile document back into gateway.json: `/schema/...` is the schema being
    /// compiled, `/models/...` is the config's own `models` section.
    static func configPointer(_ pointer: String, schemaAt schemaPointer: String) -> String {
        if pointer == "/schema" || pointer.hasPrefix("/schema/") {
            return schemaPointer + pointer.dropFirst("/schema".count)
        }
        if pointer.hasPrefix("/models") { return pointer }
        return schemaPointer + pointer
    }

    /// Schemas are data: taken as written (no `${ENV}` expansion), numbers with their exact source text.
    static func convert(_ value: JSONValue, at node: Node) -> JSONInstance? {
        do {
            return try JSONInstance.parse(value.serialized(), maxDepth: 512)
        } catch {
            node.context.error(node.pointer, "schema is nested too deeply: \(error)")
            return nil
        }
    }
}
