/// A schema location: a document (by registration order) and a JSON pointer inside it.
struct LocationKey: Hashable, Sendable {
    let document: Int
    let pointer: String
}

/// What the compiler must know about a subschema before compiling it: its base URI, dialect and vocabularies, and
/// the schema resource that encloses it.
struct LocationInfo: Sendable {
    let base: URIReference
    let dialect: Dialect
    let vocabularies: Vocabularies
    let resource: LocationKey
}

/// Facts about one schema resource that dynamic references consult at validation time.
struct ResourceFacts: Sendable {
    var dynamicAnchors: [String: LocationKey] = [:]
    var recursiveAnchor = false
}

/// Every known document indexed by the identifiers it declares (`$id`/`id`, `$anchor`, `$dynamicAnchor`), so refs
/// resolve without network or filesystem access. Indexing follows only real subschema keywords of each dialect, so an
/// `$id` inside `enum`, `const` or an unknown keyword is not taken for an identifier.
struct SchemaRegistry: Sendable {
    private(set) var documents: [JSONInstance] = []
    private(set) var documentURIs: [String] = []
    private(set) var locations: [LocationKey: LocationInfo] = [:]
    private(set) var resourcesByURI: [String: LocationKey] = [:]
    private(set) var anchors: [String: LocationKey] = [:]
    private(set) var resourceFacts: [LocationKey: ResourceFacts] = [:]

    /// The dialects' meta-schemas, indexed once per process.
    static let builtIn: SchemaRegistry = {
        var registry = SchemaRegistry()
        for metaSchema in BuiltInMetaSchema.all {
            do {
                let document = try JSONInstance.parse(metaSchema.json)
                _ = try registry.add(document, uri: metaSchema.uri, defaultDialect: .draft2020_12)
            } catch {
                preconditionFailure("built-in meta-schema \(metaSchema.uri) is broken: \(error)")
            }
        }
        return registry
    }()

    /// Adds and indexes a document retrieved from `uri`; returns its document number.
    mutating func add(_ document: JSONInstance, uri: String, defaultDialect: Dialect) throws(SchemaError) -> Int {
        let number = documents.count
        let retrieval = URIReference(uri).withoutFragment
        documents.append(document)
        documentURIs.append(retrieval.text)
        let root = LocationKey(document: number, pointer: "")
        resourcesByURI[retrieval.text] = root
        try index(document, at: root, base: retrieval, dialect: defaultDialect, vocabularies: .standard,
                  resource: root, isDocumentRoot: true)
        return number
    }

    /// The dialect and vocabularies a `$schema` value selects: a built-in dialect, or a registered meta-schema whose
    /// `$vocabulary` lists what is enabled (an unknown required vocabulary is an error).
    func dialect(forMetaSchema uri: String, pointer: String, fallback: Dialect, depth: Int = 0)
        throws(SchemaError) -> (Dialect, Vocabularies) {
        if let dialect = Dialect(metaSchemaURI: uri) { return (dialect, .standard) }
        let key = URIReference(uri).withoutFragment.text
        guard depth < 8, let location = resourcesByURI[key], let metaSchema = value(at: location)?.objectValue else {
            return (fallback, .standard)
        }
        var dialect = fallback
        if case .string(let parent)? = metaSchema["$schema"], parent != uri {
            dialect = try self.dialect(forMetaSchema: parent, pointer: pointer, fallback: fallback, depth: depth + 1).0
        }
        guard case .object(let declared)? = metaSchema["$vocabulary"] else { return (dialect, .standard) }
        var vocabularies: Vocabularies = []
        for (vocabulary, required) in declared.members {
            if let known = Vocabularies.named(vocabulary) {
                vocabularies.formUnion(known)
            } else if required == .bool(true) {
                throw SchemaError(pointer: JSONPointer.appending(pointer, "$schema"),
                                  message: "meta-schema \(uri) requires unsupported vocabulary \(vocabulary)")
            }
        }
        return (dialect, vocabularies)
    }

    /// A schema reached only through a reference into a part of a document that is not a schema (gateway.json's
    /// `models`, say) is indexed on first use as an embedded schema, so its own `$id`, anchors and `$defs` work.
    mutating func indexEmbedded(at location: LocationKey, inheriting info: LocationInfo) throws(SchemaError) {
        guard locations[location] == nil, let value = value(at: location), case .object = value else { return }
        try index(value, at: location, base: info.base, dialect: info.dialect, vocabularies: info.vocabularies,
                  resource: info.resource, isDocumentRoot: false)
    }

    func value(at location: LocationKey) -> JSONInstance? {
        JSONPointer.resolve(location.pointer, in: documents[location.document])
    }

    private mutating func index(_ value: JSONInstance, at location: LocationKey, base inheritedBase: URIReference,
                                dialect inheritedDialect: Dialect, vocabularies inheritedVocabularies: Vocabularies,
                                resource inheritedResource: LocationKey, isDocumentRoot: Bool) throws(SchemaError) {
        guard case .object(let object) = value else {
            locations[location] = LocationInfo(base: inheritedBase, dialect: inheritedDialect,
                                               vocabularies: inheritedVocabularies, resource: inheritedResource)
            return
        }
        var dialect = inheritedDialect
        var vocabularies = inheritedVocabularies
        var base = inheritedBase
        var resource = inheritedResource
        if case .string(let metaSchema)? = object["$schema"],
           isDocumentRoot || (object["$id"] != nil && inheritedDialect >= .draft2019_09) {
            (dialect, vocabularies) = try self.dialect(forMetaSchema: metaSchema, pointer: location.pointer,
                                                       fallback: inheritedDialect)
        }
        let ignoresSiblings = dialect.refOverridesSiblings && object["$ref"] != nil
        if case .string(let id)? = object[dialect.idKeyword], !ignoresSiblings {
            let resolved = base.resolving(id)
            if dialect <= .draft7 && id.hasPrefix("#") {
                anchors[base.text + id] = location
            } else {
                base = resolved.withoutFragment
                resource = location
                resourcesByURI[base.text] = location
                if let fragment = resolved.fragment, !fragment.isEmpty, dialect <= .draft7 {
                    anchors[base.text + "#" + fragment] = location
                }
            }
        }
        if dialect >= .draft2019_09 {
            if case .string(let anchor)? = object["$anchor"] { anchors[base.text + "#" + anchor] = location }
            if dialect >= .draft2020_12, case .string(let anchor)? = object["$dynamicAnchor"] {
                anchors[base.text + "#" + anchor] = location
                resourceFacts[resource, default: ResourceFacts()].dynamicAnchors[anchor] = location
            }
            if dialect == .draft2019_09, object["$recursiveAnchor"] == .bool(true), resource == location {
                resourceFacts[resource, default: ResourceFacts()].recursiveAnchor = true
            }
        }
        locations[location] = LocationInfo(base: base, dialect: dialect, vocabularies: vocabularies, resource: resource)
        for (keyword, member) in object.members {
            for (pointer, child) in SchemaRegistry.subschemas(of: keyword, member, dialect: dialect, at: location.pointer) {
                try index(child, at: LocationKey(document: location.document, pointer: pointer), base: base,
                          dialect: dialect, vocabularies: vocabularies, resource: resource, isDocumentRoot: false)
            }
        }
    }

    /// The subschemas a keyword holds in a dialect, with their pointers.
    static func subschemas(of keyword: String, _ member: JSONInstance, dialect: Dialect, at pointer: String)
        -> [(String, JSONInstance)] {
        let here = JSONPointer.appending(pointer, keyword)
        func isSchema(_ value: JSONInstance) -> Bool {
            if case .object = value { return true }
            if case .bool = value { return dialect >= .draft6 }
            return false
        }
        func single() -> [(String, JSONInstance)] { isSchema(member) ? [(here, member)] : [] }
        func list() -> [(String, JSONInstance)] {
            guard case .array(let elements) = member else { return [] }
            return elements.enumerated().filter { isSchema($0.element) }.map { ("\(here)/\($0.offset)", $0.element) }
        }
        func map() -> [(String, JSONInstance)] {
            guard case .object(let members) = member else { return [] }
            return members.members.filter { isSchema($0.1) }.map { (JSONPointer.appending(here, $0.0), $0.1) }
        }
        switch keyword {
        case "additionalProperties", "not": return single()
        case "additionalItems": return dialect <= .draft2019_09 ? single() : []
        case "contains", "propertyNames": return dialect >= .draft6 ? single() : []
        case "if", "then", "else": return dialect >= .draft7 ? single() : []
        case "unevaluatedItems", "unevaluatedProperties", "contentSchema":
            return dialect >= .draft2019_09 ? single() : []
        case "items":
            if case .array = member { return dialect <= .draft2019_09 ? list() : [] }
            return single()
        case "allOf", "anyOf", "oneOf": return list()
        case "prefixItems": return dialect >= .draft2020_12 ? list() : []
        case "properties", "patternProperties", "definitions": return map()
        case "$defs", "dependentSchemas": return dialect >= .draft2019_09 ? map() : []
        case "dependencies": return dialect <= .draft7 ? map() : []
        default: return []
        }
    }
}
