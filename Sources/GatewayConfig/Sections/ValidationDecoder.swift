import GatewayCore
import JSONSchema

/// A route's `validate`: `body` (a schema, often `{"$ref": "#/models/NAME"}`), `parameters` keyed
/// `path.NAME` / `query.NAME` / `header.NAME` with `required` and `schema`, and `maxErrors` (Portcullis: the cap
/// on violations listed in one 400, default 50).
enum ValidationDecoder {
    static func decode(_ node: Node, routeKey: RouteKey?, library: SchemaLibrary?) -> RouteValidation? {
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        let context = node.context
        let before = context.errorCount
        var body: CompiledSchema?
        if let bodyNode = reader.optional("body") {
            body = library.flatMap { $0.compile(bodyNode) }
        }
        var checks: [ParameterCheck] = []
        if let parametersNode = reader.optional("parameters"), let parameters = parametersNode.object() {
            var seenHeaders: Set<String> = []
            for member in parameters.object.members {
                let entry = Node(value: member.value, pointer: parameters.pointer(of: member.key), context: context)
                guard let check = decodeParameter(member.key, entry, routeKey: routeKey, library: library) else { continue }
                if check.location == .header, !seenHeaders.insert(check.name).inserted {
                    context.error(entry.pointer, "header parameter \"\(check.name)\" is listed twice (header names are case-insensitive)")
                    continue
                }
                checks.append(check)
            }
        }
        let maxErrors = reader.optional("maxErrors").flatMap { $0.int(in: 1...1000) } ?? RouteValidation.defaultMaxErrors
        guard context.errorCount == before, library != nil else { return nil }
        return RouteValidation(parameters: checks, body: body, maxErrors: maxErrors)
    }

    static func decodeParameter(_ key: String, _ node: Node, routeKey: RouteKey?, library: SchemaLibrary?) -> ParameterCheck? {
        let context = node.context
        let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty,
              let location = ValidationViolation.Location(rawValue: parts[0]), location != .body else {
            context.error(node.pointer, "parameter keys are \"path.NAME\", \"query.NAME\" or \"header.NAME\" (got \"\(key)\")")
            return nil
        }
        let name = parts[1]
        if location == .path, let routeKey, !routeKey.parameterNames.contains(name) {
            let known = routeKey.parameterNames.isEmpty ? "it has none" : "it has " + routeKey.parameterNames.map { "{\($0)}" }.joined(separator: ", ")
            context.error(node.pointer, "route \"\(routeKey)\" has no path parameter \"\(name)\" (\(known))")
            return nil
        }
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        let required = reader.optional("required").flatMap { $0.bool() } ?? false
        var schema: CompiledSchema?
        var coercion = ParameterCoercion()
        if let schemaNode = reader.optional("schema") {
            guard let compiled = library?.compile(schemaNode) else { return nil }
            schema = compiled
            if case .object(let object) = schemaNode.value, let type = object["type"] {
                coercion = ParameterCoercion(schemaType: SchemaLibrary.convert(type, at: schemaNode))
            }
        }
        return ParameterCheck(location: location, name: name, required: required || location == .path, schema: schema,
                              coercion: coercion)
    }
}
