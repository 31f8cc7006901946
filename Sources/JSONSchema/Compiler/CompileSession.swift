/// One compilation: turns the registry's documents into the node table of a `CompiledSchema`, compiling each
/// reachable location once (memoised, so reference cycles terminate) and resolving every reference up front.
struct CompileSession {
    private(set) var registry: SchemaRegistry
    /// The document being compiled; its locations are reported as bare pointers, others as `uri#pointer`.
    let mainDocument: Int
    let formatAssertion: Bool
    private(set) var nodes: [SchemaNode] = []
    private(set) var resources: [RuntimeResource] = []
    private var nodeIDs: [LocationKey: NodeID] = [:]
    private var resourceIDs: [LocationKey: Int] = [:]
    private var regexCache: [String: ECMARegex] = [:]

    init(registry: SchemaRegistry, mainDocument: Int, formatAssertion: Bool) {
        self.registry = registry
        self.mainDocument = mainDocument
        self.formatAssertion = formatAssertion
    }

    /// The text errors use for a schema location.
    func locationText(_ location: LocationKey) -> String {
        location.document == mainDocument
            ? location.pointer : registry.documentURIs[location.document] + "#" + location.pointer
    }

    func error(_ location: LocationKey, _ message: String) -> SchemaError {
        SchemaError(pointer: locationText(location), message: message)
    }

    /// The node for a location, compiling it (and what it references) on first use.
    mutating func node(at location: LocationKey) throws(SchemaError) -> NodeID {
        if let id = nodeIDs[location] { return id }
        guard let value = registry.value(at: location) else {
            throw error(location, "no schema at this location")
        }
        if registry.locations[location] == nil {
            try registry.indexEmbedded(at: location, inheriting: try info(for: location))
        }
        let info = try self.info(for: location)
        let id = nodes.count
        nodeIDs[location] = id
        nodes.append(SchemaNode())
        let resource = try runtimeResource(for: info.resource)
        var node = try compileNode(value, at: location, info: info)
        node.resource = resource
        nodes[id] = node
        return id
    }

    /// Location facts from the index; a location the index never visited (inside an unknown keyword) inherits from
    /// its nearest indexed ancestor.
    func info(for location: LocationKey) throws(SchemaError) -> LocationInfo {
        if let info = registry.locations[location] { return info }
        var pointer = location.pointer
        while let slash = pointer.lastIndex(of: "/") {
            pointer = String(pointer[..<slash])
            if let info = registry.locations[LocationKey(document: location.document, pointer: pointer)] {
                return info
            }
        }
        throw error(location, "location is not inside a schema")
    }

    private mutating func runtimeResource(for root: LocationKey) throws(SchemaError) -> Int {
        if let id = resourceIDs[root] { return id }
        let id = resources.count
        resourceIDs[root] = id
        resources.append(RuntimeResource())
        guard let facts = registry.resourceFacts[root] else { return id }
        var resource = RuntimeResource()
        for (name, location) in facts.dynamicAnchors {
            resource.dynamicAnchors[name] = try node(at: location)
        }
        if facts.recursiveAnchor { resource.recursiveAnchorRoot = try node(at: root) }
        resources[id] = resource
        return id
    }

    /// Resolves a reference string against a base URI to the location it designates.
    func resolve(_ reference: String, base: URIReference, from location: LocationKey)
        throws(SchemaError) -> (LocationKey, anchor: String?) {
        let target = base.resolving(reference)
        let resourceURI = target.withoutFragment.text
        let fragment = URIReference.percentDecoded(target.fragment ?? "")
        if fragment.isEmpty || fragment.hasPrefix("/") {
            guard let root = registry.resourcesByURI[resourceURI] else {
                throw error(location, "cannot resolve reference \"\(reference)\" (\(resourceURI) is not a known schema)")
            }
            guard JSONPointer.tokens(fragment) != nil else {
                throw error(location, "invalid JSON pointer in reference \"\(reference)\"")
            }
            let pointer = root.pointer + fragment
            let key = LocationKey(document: root.document, pointer: pointer)
            guard registry.value(at: key) != nil else {
                throw error(location, "cannot resolve reference \"\(reference)\": no value at \(fragment)")
            }
            return (key, nil)
        }
        guard let anchored = registry.anchors[resourceURI + "#" + fragment] else {
            throw error(location, "cannot resolve reference \"\(reference)\" (no anchor \"\(fragment)\")")
        }
        return (anchored, fragment)
    }

    mutating func regex(_ pattern: String, at location: LocationKey) throws(SchemaError) -> ECMARegex {
        if let cached = regexCache[pattern] { return cached }
        do {
            let regex = try ECMARegex(pattern)
            regexCache[pattern] = regex
            return regex
        } catch {
            throw self.error(location, "invalid pattern \"\(pattern)\": \(error)")
        }
    }

    /// Builds the finished, immutable schema.
    func finish(root: NodeID) -> CompiledSchema {
        var nodes = nodes
        for id in nodes.indices { nodes[id].forwardsTo = forwardingTarget(of: id) }
        return CompiledSchema(nodes: nodes, resources: resources, root: root)
    }

    /// Where a chain of `$ref`-only nodes ends, if `id` starts one: evaluating the end directly skips a nested
    /// evaluation per hop (every referenced property or item), with the same errors, since a bare `$ref` adds none.
    /// A hop into another resource is kept: it changes the dynamic scope `$dynamicRef` resolves against.
    private func forwardingTarget(of id: NodeID) -> NodeID? {
        var current = id
        for _ in 0..<nodes.count {
            guard let target = nodes[current].bareReference, nodes[target].resource == nodes[current].resource,
                  target != id else { break }
            current = target
        }
        return current == id ? nil : current
    }
}
