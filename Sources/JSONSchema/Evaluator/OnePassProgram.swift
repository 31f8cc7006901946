/// A compiled schema flattened for `OnePassScanner`: per node, every constraint on a value, keyed by the value's JSON
/// type, so one pass over a document's bytes can check it without building a `JSONInstance`.
///
/// Only schemas whose verdict needs nothing but the value itself and its own members flatten: keywords that compare
/// subschema outcomes (`anyOf`, `oneOf`, `not`, `if`, `contains`), need annotations (`unevaluated*`) or a dynamic
/// scope (`$dynamicRef`, `$recursiveRef`) make `init` fail, and such schemas always take the full evaluator.
struct OnePassProgram: Sendable {
    /// One subschema's constraints. Node 0 accepts anything (a member or item no keyword describes).
    struct Node: Sendable {
        var rejectsEverything = false
        /// The allowed primitive types (the intersection of every `type` keyword); nil when unconstrained.
        var types: JSONTypes?
        /// Each `enum` (or `const`, as one value) the value must be among.
        var allowedValues: [AllowedValues] = []
        var minLength = 0
        var maxLength = Int.max
        var patterns: [ECMARegex] = []
        var formats: [FormatChecker] = []
        var minimums: [(limit: JSONNumber, exclusive: Bool)] = []
        var maximums: [(limit: JSONNumber, exclusive: Bool)] = []
        var divisors: [JSONNumber] = []
        var minItems = 0
        var maxItems = Int.max
        var uniqueItems = false
        var prefixItems: [Int] = []
        /// Items from `itemsStart` on are checked against `itemsNode` (node 0 when there is no `items`).
        var itemsStart = 0
        var itemsNode = 0
        /// Declared (`properties`) and required names; a member's bit in the seen-set is its index here.
        var properties: [Property] = []
        var requiredMask: UInt64 = 0
        /// Node for members no `properties` entry declares; nil when `additionalProperties` is false.
        var additionalNode: Int? = 0
        var minProperties = 0
        var maxProperties = Int.max
    }

    /// An `enum`'s values by type, so a value is compared with bytes and numbers, not `JSONInstance`s.
    struct AllowedValues: Sendable {
        var strings: [[UInt8]] = []
        var numbers: [JSONNumber] = []
        var booleans: [Bool] = []
        var null = false
        /// Arrays and objects are left to the evaluator: one among the values makes every container uncertain.
        var containers = false

        init(_ values: [JSONInstance]) {
            for value in values {
                switch value {
                case .string(let string): strings.append(Array(string.utf8))
                case .number(let number): numbers.append(number)
                case .bool(let bool): booleans.append(bool)
                case .null: null = true
                case .array, .object: containers = true
                }
            }
        }
    }

    struct Property: Sendable {
        let name: [UInt8]
        let tag: KeyTag
        /// The `properties` subschema; nil for a name that is only `required`, whose value is an additional member.
        var node: Int?
    }

    /// Members the seen-set can track, one bit each.
    static let maxProperties = 64

    private(set) var nodes: [Node] = [Node()]
    private(set) var root = 0
    /// Nested evaluations the evaluator makes per level of the document: one, plus one per `$ref` hop into
    /// another resource that flattening folded away (same-resource hops are folded by the evaluator too).
    private(set) var evaluationsPerLevel = 1
    /// Compiled node → flattened node, for nodes already flattened or being flattened (so cycles terminate).
    private var flattened: [NodeID: Int] = [:]

    /// Nil when some subschema reachable from the root uses a keyword this form cannot check in one pass.
    init?(nodes compiled: [SchemaNode], root: NodeID) {
        guard let root = flatten(root, in: compiled, following: []) else { return nil }
        self.root = root
    }

    private mutating func flatten(_ id: NodeID, in compiled: [SchemaNode], following refs: Set<NodeID>) -> Int? {
        let id = compiled[id].forwardsTo ?? id
        if let done = flattened[id] { return done }
        let source = compiled[id]
        guard !source.collectsAnnotations else { return nil }
        // A node that is only a `$ref` is its target (a cycle of bare refs never reaches a value: not flattened).
        if let target = source.bareReference {
            guard !refs.contains(id) else { return nil }
            evaluationsPerLevel = max(evaluationsPerLevel, refs.count + 2)
            guard let resolved = flatten(target, in: compiled, following: refs.union([id])) else { return nil }
            flattened[id] = resolved
            return resolved
        }
        let index = nodes.count
        flattened[id] = index
        nodes.append(Node())
        var node = Node()
        for keyword in source.keywords {
            guard apply(keyword.check, to: &node, in: compiled) else { return nil }
        }
        // The scanner takes "declared" to mean "has a `properties` subschema"; the evaluator asks the compiled
        // `additionalProperties` for its own set. Should they ever differ, this node is left to the evaluator.
        for case .additionalProperties(_, _, let known, _) in source.keywords.lazy.map(\.check) {
            let declared = node.properties.filter { $0.node != nil }
            guard declared.count == known.count, declared.allSatisfy({ property in
                known.contains(String(decoding: property.name, as: UTF8.self), tag: property.tag)
            }) else { return nil }
        }
        nodes[index] = node
        return index
    }

    /// Adds one keyword's constraint to `node`; false for a keyword this form does not handle.
    private mutating func apply(_ check: KeywordCheck, to node: inout Node, in compiled: [SchemaNode]) -> Bool {
        switch check {
        case .alwaysFalse: node.rejectsEverything = true
        case .type(let types, _): node.types = (node.types ?? JSONTypes(rawValue: 0x7F)).intersection(types)
        case .enumeration(let values): node.allowedValues.append(AllowedValues(values))
        case .constant(let value): node.allowedValues.append(AllowedValues([value]))
        case .multipleOf(let divisor): node.divisors.append(divisor)
        case .maximum(let limit, let exclusive): node.maximums.append((limit, exclusive))
        case .minimum(let limit, let exclusive): node.minimums.append((limit, exclusive))
        case .maxLength(let limit): node.maxLength = min(node.maxLength, limit)
        case .minLength(let limit): node.minLength = max(node.minLength, limit)
        case .pattern(let regex, _): node.patterns.append(regex)
        case .format(let checker): node.formats.append(checker)
        case .maxItems(let limit): node.maxItems = min(node.maxItems, limit)
        case .minItems(let limit): node.minItems = max(node.minItems, limit)
        case .uniqueItems: node.uniqueItems = true
        case .maxProperties(let limit): node.maxProperties = min(node.maxProperties, limit)
        case .minProperties(let limit): node.minProperties = max(node.minProperties, limit)
        case .required(let names):
            for key in names {
                guard let bit = property(key.name, in: &node) else { return false }
                node.requiredMask |= 1 << UInt64(bit)
            }
        case .properties(let declared):
            for (key, target) in declared {
                guard let bit = property(key.name, in: &node),
                      let child = flatten(target, in: compiled, following: []) else { return false }
                node.properties[bit].node = child
            }
        case .additionalProperties(let target, _, _, let patterns):
            // Declared names are the entries `properties` gives a subschema (checked against the compiled set once
            // every keyword is applied); patterns would need `patternProperties`.
            guard patterns.isEmpty, let child = flatten(target, in: compiled, following: []) else { return false }
            node.additionalNode = nodes[child].rejectsEverything ? nil : child
        case .prefixItems(let targets):
            for target in targets {
                guard let child = flatten(target, in: compiled, following: []) else { return false }
                node.prefixItems.append(child)
            }
        case .items(let target, let start, _):
            guard let child = flatten(target, in: compiled, following: []) else { return false }
            node.itemsStart = start
            node.itemsNode = child
        default:
            return false
        }
        return true
    }

    /// The index of `name` among `node`'s properties, added if new; nil past `maxProperties`.
    private func property(_ name: String, in node: inout Node) -> Int? {
        let bytes = Array(name.utf8)
        if let existing = node.properties.firstIndex(where: { $0.name == bytes }) { return existing }
        guard node.properties.count < Self.maxProperties else { return nil }
        node.properties.append(Property(name: bytes, tag: bytes.withUnsafeBytes { KeyTag($0) }, node: nil))
        return node.properties.count - 1
    }
}
