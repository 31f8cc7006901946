/// Compiles one schema object's keywords, following its dialect's keyword set and enabled vocabularies.
extension CompileSession {
    mutating func compileNode(_ value: JSONInstance, at location: LocationKey, info: LocationInfo)
        throws(SchemaError) -> SchemaNode {
        switch value {
        case .bool(true):
            return SchemaNode()
        case .bool(false):
            return SchemaNode(keywords: [CompiledKeyword(name: "false", location: locationText(location), check: .alwaysFalse)])
        case .object(let object):
            var builder = KeywordBuilder(object: object, location: location, info: info,
                                         locationText: locationText(location))
            try compileKeywords(&builder)
            return SchemaNode(keywords: builder.keywords + builder.lastKeywords,
                              collectsAnnotations: !builder.lastKeywords.isEmpty)
        default:
            throw error(location, "a schema must be an object or a boolean, not \(value.typeName)")
        }
    }

    private mutating func compileKeywords(_ b: inout KeywordBuilder) throws(SchemaError) {
        let dialect = b.info.dialect
        let vocabularies = b.info.vocabularies
        if let reference = b.object["$ref"] {
            let target = try referenceTarget(reference, keyword: "$ref", &b)
            b.add("$ref", .ref(target.node))
            if dialect.refOverridesSiblings { return }
        }
        if dialect >= .draft2020_12, let reference = b.object["$dynamicRef"] {
            let target = try referenceTarget(reference, keyword: "$dynamicRef", &b)
            // Dynamic only when the initially resolved target was itself made by a matching `$dynamicAnchor`.
            let isDynamic = try target.anchor.map { name throws(SchemaError) in
                registry.resourceFacts[try info(for: target.location).resource]?.dynamicAnchors[name] == target.location
            } ?? false
            b.add("$dynamicRef", .dynamicRef(target.node, dynamicAnchor: isDynamic ? target.anchor : nil))
        }
        if dialect == .draft2019_09, let reference = b.object["$recursiveRef"] {
            let target = try referenceTarget(reference, keyword: "$recursiveRef", &b)
            let hasAnchor = registry.resourceFacts[target.location]?.recursiveAnchor == true
            b.add("$recursiveRef", .recursiveRef(target.node, targetHasRecursiveAnchor: hasAnchor))
        }
        let applicators = dialect <= .draft7 || vocabularies.contains(.applicator)
        if applicators { try compileApplicators(&b) }
        if dialect >= .draft2019_09 && vocabularies.contains(.unevaluated) {
            if let schema = b.object["unevaluatedProperties"] {
                let node = try b.subschema("unevaluatedProperties", schema, &self)
                b.addLast("unevaluatedProperties", .unevaluatedProperties(node, isFalse: schema == .bool(false)))
            }
            if let schema = b.object["unevaluatedItems"] {
                let node = try b.subschema("unevaluatedItems", schema, &self)
                b.addLast("unevaluatedItems", .unevaluatedItems(node, isFalse: schema == .bool(false)))
            }
        }
        if dialect <= .draft7 || vocabularies.contains(.validation) { try compileValidation(&b) }
        let assertsFormat = formatAssertion || (dialect >= .draft2020_12 && vocabularies.contains(.formatAssertion))
        if assertsFormat, let format = b.object["format"] {
            guard case .string(let name) = format else { throw b.invalid("format", "must be a string") }
            if let checker = FormatChecker(name: name) { b.add("format", .format(checker)) }
        }
    }

    private mutating func referenceTarget(_ reference: JSONInstance, keyword: String, _ b: inout KeywordBuilder)
        throws(SchemaError) -> (node: NodeID, location: LocationKey, anchor: String?) {
        guard case .string(let text) = reference else { throw b.invalid(keyword, "must be a string") }
        let here = b.child(keyword)
        let (location, anchor) = try resolve(text, base: b.info.base, from: here)
        return (try node(at: location), location, anchor)
    }

    private mutating func compileApplicators(_ b: inout KeywordBuilder) throws(SchemaError) {
        let dialect = b.info.dialect
        for keyword in ["allOf", "anyOf", "oneOf"] {
            guard let value = b.object[keyword] else { continue }
            guard case .array(let elements) = value, !elements.isEmpty else {
                throw b.invalid(keyword, "must be a non-empty array of schemas")
            }
            var ids: [NodeID] = []
            for (index, element) in elements.enumerated() {
                ids.append(try b.subschema("\(keyword)/\(index)", element, &self))
            }
            b.add(keyword, keyword == "allOf" ? .allOf(ids) : keyword == "anyOf" ? .anyOf(ids) : .oneOf(ids))
        }
        if let value = b.object["not"] { b.add("not", .not(try b.subschema("not", value, &self))) }
        if dialect >= .draft7, let condition = b.object["if"] {
            let ifNode = try b.subschema("if", condition, &self)
            let thenNode = try b.object["then"].map { v throws(SchemaError) in try b.subschema("then", v, &self) }
            let elseNode = try b.object["else"].map { v throws(SchemaError) in try b.subschema("else", v, &self) }
            if thenNode != nil || elseNode != nil || b.info.vocabularies.contains(.unevaluated) {
                b.add("if", .conditional(if: ifNode, then: thenNode, else: elseNode))
            }
        }
        try compileObjectApplicators(&b)
        try compileArrayApplicators(&b)
    }

    private mutating func compileObjectApplicators(_ b: inout KeywordBuilder) throws(SchemaError) {
        let dialect = b.info.dialect
        var known: [String] = []
        var patterns: [ECMARegex] = []
        if let value = b.object["properties"] {
            guard case .object(let members) = value else { throw b.invalid("properties", "must be an object") }
            var list: [(key: PropertyKey, node: NodeID)] = []
            for (name, schema) in members.members {
                list.append((PropertyKey(name), try b.subschema("properties/" + JSONPointer.escape(name), schema, &self)))
                known.append(name)
            }
            b.add("properties", .properties(list))
        }
        if let value = b.object["patternProperties"] {
            guard case .object(let members) = value else { throw b.invalid("patternProperties", "must be an object") }
            var list: [(regex: ECMARegex, node: NodeID)] = []
            for (pattern, schema) in members.members {
                let path = "patternProperties/" + JSONPointer.escape(pattern)
                let regex = try self.regex(pattern, at: b.child(path))
                list.append((regex, try b.subschema(path, schema, &self)))
                patterns.append(regex)
            }
            b.add("patternProperties", .patternProperties(list))
        }
        if let value = b.object["additionalProperties"] {
            let node = try b.subschema("additionalProperties", value, &self)
            b.add("additionalProperties", .additionalProperties(node, isFalse: value == .bool(false),
                                                                 known: PropertyNameSet(known), patterns: patterns))
        }
        if dialect >= .draft6, let value = b.object["propertyNames"] {
            b.add("propertyNames", .propertyNames(try b.subschema("propertyNames", value, &self)))
        }
        let dependentSchemasKeyword = dialect <= .draft7 ? "dependencies" : "dependentSchemas"
        if let value = b.object[dependentSchemasKeyword] {
            guard case .object(let members) = value else { throw b.invalid(dependentSchemasKeyword, "must be an object") }
            var schemas: [(property: String, node: NodeID)] = []
            var required: [(property: String, required: [String])] = []
            for (property, dependency) in members.members {
                let path = dependentSchemasKeyword + "/" + JSONPointer.escape(property)
                if dialect <= .draft7, case .array = dependency {
                    required.append((property, try b.stringArray(path, dependency)))
                } else {
                    schemas.append((property, try b.subschema(path, dependency, &self)))
                }
            }
            if !schemas.isEmpty { b.add(dependentSchemasKeyword, .dependentSchemas(schemas)) }
            if !required.isEmpty { b.add(dependentSchemasKeyword, .dependentRequired(required)) }
        }
    }

    private mutating func compileArrayApplicators(_ b: inout KeywordBuilder) throws(SchemaError) {
        let dialect = b.info.dialect
        if dialect >= .draft2020_12 {
            var prefixCount = 0
            if let value = b.object["prefixItems"] {
                guard case .array(let elements) = value, !elements.isEmpty else {
                    throw b.invalid("prefixItems", "must be a non-empty array of schemas")
                }
                var ids: [NodeID] = []
                for (index, element) in elements.enumerated() { ids.append(try b.subschema("prefixItems/\(index)", element, &self)) }
                prefixCount = ids.count
                b.add("prefixItems", .prefixItems(ids))
            }
            if let value = b.object["items"] {
                if case .array = value { throw b.invalid("items", "must be a schema (use prefixItems for tuples)") }
                b.add("items", .items(try b.subschema("items", value, &self), start: prefixCount, isFalse: value == .bool(false)))
            }
        } else if let value = b.object["items"] {
            if case .array(let elements) = value {
                var ids: [NodeID] = []
                for (index, element) in elements.enumerated() { ids.append(try b.subschema("items/\(index)", element, &self)) }
                b.add("items", .prefixItems(ids))
                if let additional = b.object["additionalItems"] {
                    let node = try b.subschema("additionalItems", additional, &self)
                    b.add("additionalItems", .items(node, start: ids.count, isFalse: additional == .bool(false)))
                }
            } else {
                b.add("items", .items(try b.subschema("items", value, &self), start: 0, isFalse: value == .bool(false)))
            }
        }
        if dialect >= .draft6, let value = b.object["contains"] {
            let node = try b.subschema("contains", value, &self)
            var minimum = 1
            var maximum: Int?
            if dialect >= .draft2019_09 && b.info.vocabularies.contains(.validation) {
                if let value = b.object["minContains"] { minimum = try b.count("minContains", value) }
                if let value = b.object["maxContains"] { maximum = try b.count("maxContains", value) }
            }
            b.add("contains", .contains(node, min: minimum, max: maximum, annotatesItems: dialect >= .draft2020_12))
        }
    }

    private mutating func compileValidation(_ b: inout KeywordBuilder) throws(SchemaError) {
        let dialect = b.info.dialect
        if let value = b.object["type"] {
            var types: JSONTypes = []
            var names: [String] = []
            let list: [JSONInstance]
            if case .array(let elements) = value { list = elements } else { list = [value] }
            for element in list {
                guard case .string(let name) = element, let type = JSONTypes.names.first(where: { $0.0 == name }) else {
                    throw b.invalid("type", "must be a type name or an array of type names")
                }
                types.insert(type.1)
                names.append(name)
            }
            if types.contains(.number) { types.insert(.integer) }
            b.add("type", .type(types, names: names.joined(separator: " or ")))
        }
        if let value = b.object["enum"] {
            guard case .array(let elements) = value else { throw b.invalid("enum", "must be an array") }
            b.add("enum", .enumeration(elements))
        }
        if dialect >= .draft6, let value = b.object["const"] { b.add("const", .constant(value)) }
        if let value = b.object["multipleOf"] {
            guard case .number(let number) = value, number > JSONNumber(0) else {
                throw b.invalid("multipleOf", "must be a number greater than 0")
            }
            b.add("multipleOf", .multipleOf(number))
        }
        for (keyword, exclusiveKeyword, isMaximum) in [("maximum", "exclusiveMaximum", true), ("minimum", "exclusiveMinimum", false)] {
            if let value = b.object[keyword] {
                guard case .number(let limit) = value else { throw b.invalid(keyword, "must be a number") }
                var exclusive = false
                if dialect == .draft4, let flag = b.object[exclusiveKeyword] {
                    guard case .bool(let isExclusive) = flag else { throw b.invalid(exclusiveKeyword, "must be a boolean") }
                    exclusive = isExclusive
                }
                b.add(exclusive ? exclusiveKeyword : keyword,
                      isMaximum ? .maximum(limit, exclusive: exclusive) : .minimum(limit, exclusive: exclusive))
            }
            if dialect >= .draft6, let value = b.object[exclusiveKeyword] {
                guard case .number(let limit) = value else { throw b.invalid(exclusiveKeyword, "must be a number") }
                b.add(exclusiveKeyword, isMaximum ? .maximum(limit, exclusive: true) : .minimum(limit, exclusive: true))
            }
        }
        if let value = b.object["maxLength"] { b.add("maxLength", .maxLength(try b.count("maxLength", value))) }
        if let value = b.object["minLength"] { b.add("minLength", .minLength(try b.count("minLength", value))) }
        if let value = b.object["pattern"] {
            guard case .string(let source) = value else { throw b.invalid("pattern", "must be a string") }
            b.add("pattern", .pattern(try regex(source, at: b.child("pattern")), source: source))
        }
        if let value = b.object["maxItems"] { b.add("maxItems", .maxItems(try b.count("maxItems", value))) }
        if let value = b.object["minItems"] { b.add("minItems", .minItems(try b.count("minItems", value))) }
        if let value = b.object["uniqueItems"] {
            guard case .bool(let unique) = value else { throw b.invalid("uniqueItems", "must be a boolean") }
            if unique { b.add("uniqueItems", .uniqueItems) }
        }
        if let value = b.object["maxProperties"] { b.add("maxProperties", .maxProperties(try b.count("maxProperties", value))) }
        if let value = b.object["minProperties"] { b.add("minProperties", .minProperties(try b.count("minProperties", value))) }
        if let value = b.object["required"] {
            let names = try b.stringArray("required", value)
            if !names.isEmpty { b.add("required", .required(names.map(PropertyKey.init))) }
        }
        if dialect >= .draft2019_09, let value = b.object["dependentRequired"] {
            guard case .object(let members) = value else { throw b.invalid("dependentRequired", "must be an object") }
            var list: [(property: String, required: [String])] = []
            for (property, names) in members.members {
                list.append((property, try b.stringArray("dependentRequired/" + JSONPointer.escape(property), names)))
            }
            b.add("dependentRequired", .dependentRequired(list))
        }
    }
}

/// Collects one schema object's compiled keywords and checks keyword value types with precise pointers.
struct KeywordBuilder {
    let object: JSONObject
    let location: LocationKey
    let info: LocationInfo
    var keywords: [CompiledKeyword] = []
    /// Keywords that need every sibling's annotations (`unevaluated*`), run last.
    var lastKeywords: [CompiledKeyword] = []
    /// This object's location as errors report it.
    let locationText: String


    /// The location of a keyword (or a path below it, already escaped) of this schema object.
    func child(_ path: String) -> LocationKey {
        LocationKey(document: location.document, pointer: location.pointer + "/" + path)
    }

    func invalid(_ path: String, _ message: String) -> SchemaError {
        SchemaError(pointer: locationText + "/" + path, message: "\(path.split(separator: "/").first ?? "") \(message)")
    }

    mutating func add(_ name: String, _ check: KeywordCheck) {
        keywords.append(CompiledKeyword(name: name, location: locationText + "/" + name, check: check))
    }

    mutating func addLast(_ name: String, _ check: KeywordCheck) {
        lastKeywords.append(CompiledKeyword(name: name, location: locationText + "/" + name, check: check))
    }

    func subschema(_ path: String, _ value: JSONInstance, _ session: inout CompileSession) throws(SchemaError) -> NodeID {
        switch value {
        case .object, .bool: return try session.node(at: child(path))
        default: throw invalid(path, "must be a schema (an object or a boolean)")
        }
    }

    func count(_ keyword: String, _ value: JSONInstance) throws(SchemaError) -> Int {
        guard case .number(let number) = value, number.isInteger, !number.isNegative else {
            throw invalid(keyword, "must be a non-negative integer")
        }
        return number.intValue ?? Int.max
    }

    func stringArray(_ path: String, _ value: JSONInstance) throws(SchemaError) -> [String] {
        guard case .array(let elements) = value else { throw invalid(path, "must be an array of strings") }
        var strings: [String] = []
        for element in elements {
            guard case .string(let string) = element else { throw invalid(path, "must be an array of strings") }
            strings.append(string)
        }
        return strings
    }
}
