/// Index of a compiled subschema in `CompiledSchema.nodes`; references are indices, so cycles need no pointers.
typealias NodeID = Int

/// One compiled subschema: its keywords in evaluation order (`unevaluated*` last) and its schema resource.
struct SchemaNode: Sendable {
    var keywords: [CompiledKeyword] = []
    /// The enclosing schema resource (index into `CompiledSchema.resources`), pushed on the dynamic scope.
    var resource: Int = 0
    /// Whether sibling annotations must be collected for an `unevaluated*` keyword of this node.
    var collectsAnnotations = false
    /// For a node that is nothing but a `$ref` (`"customer": {"$ref": "#/$defs/customer"}`): the node it stands for,
    /// evaluated in its place. Set when that changes no outcome: the hop enters no other resource.
    var forwardsTo: NodeID?

    /// The target of a node that is nothing but a `$ref` (and collects no annotations), else nil.
    var bareReference: NodeID? {
        guard keywords.count == 1, !collectsAnnotations, case .ref(let target) = keywords[0].check else { return nil }
        return target
    }
}

/// A keyword ready to run, with the name and schema location its errors report. A class so the evaluator's loop
/// over keywords copies a reference, not the whole payload.
final class CompiledKeyword: Sendable {
    let name: String
    let location: String
    let check: KeywordCheck

    init(name: String, location: String, check: KeywordCheck) {
        self.name = name
        self.location = location
        self.check = check
    }
}

/// JSON Schema primitive types as a bit set, so `type` is one AND.
struct JSONTypes: OptionSet, Sendable {
    let rawValue: UInt8
    static let null = JSONTypes(rawValue: 1)
    static let boolean = JSONTypes(rawValue: 2)
    static let integer = JSONTypes(rawValue: 4)
    static let number = JSONTypes(rawValue: 8)
    static let string = JSONTypes(rawValue: 16)
    static let array = JSONTypes(rawValue: 32)
    static let object = JSONTypes(rawValue: 64)

    static let names: [(String, JSONTypes)] = [
        ("null", .null), ("boolean", .boolean), ("integer", .integer), ("number", .number),
        ("string", .string), ("array", .array), ("object", .object),
    ]
}

/// What a keyword checks, with everything it needs precomputed at compile time. Indirect: each case is one boxed
/// reference, so reading a keyword during validation is a retain rather than a multi-payload copy.
indirect enum KeywordCheck: Sendable {
    case alwaysFalse
    case type(JSONTypes, names: String)
    case enumeration([JSONInstance])
    case constant(JSONInstance)
    case multipleOf(JSONNumber)
    case maximum(JSONNumber, exclusive: Bool)
    case minimum(JSONNumber, exclusive: Bool)
    case maxLength(Int)
    case minLength(Int)
    case pattern(ECMARegex, source: String)
    case format(FormatChecker)
    case maxItems(Int)
    case minItems(Int)
    case uniqueItems
    case maxProperties(Int)
    case minProperties(Int)
    case required([PropertyKey])
    case dependentRequired([(property: String, required: [String])])
    case properties([(key: PropertyKey, node: NodeID)])
    case patternProperties([(regex: ECMARegex, node: NodeID)])
    case additionalProperties(NodeID, isFalse: Bool, known: PropertyNameSet, patterns: [ECMARegex])
    case propertyNames(NodeID)
    case prefixItems([NodeID])
    /// `items` (schema form), `additionalItems`, or 2020-12 `items` after `prefixItems`: items from `start` on.
    case items(NodeID, start: Int, isFalse: Bool)
    /// `annotatesItems`: 2020-12 counts items matched by `contains` as evaluated for `unevaluatedItems`.
    case contains(NodeID, min: Int, max: Int?, annotatesItems: Bool)
    case allOf([NodeID])
    case anyOf([NodeID])
    case oneOf([NodeID])
    case not(NodeID)
    case conditional(if: NodeID, then: NodeID?, else: NodeID?)
    case dependentSchemas([(property: String, node: NodeID)])
    case ref(NodeID)
    /// `$dynamicRef`: the static target, and the anchor name when the target was made by a matching `$dynamicAnchor`.
    case dynamicRef(NodeID, dynamicAnchor: String?)
    /// `$recursiveRef`: the static target (the current resource root) and whether it has `$recursiveAnchor: true`.
    case recursiveRef(NodeID, targetHasRecursiveAnchor: Bool)
    case unevaluatedProperties(NodeID, isFalse: Bool)
    case unevaluatedItems(NodeID, isFalse: Bool)
}

/// A schema resource at validation time: what `$dynamicRef` and `$recursiveRef` can land on inside it.
struct RuntimeResource: Sendable {
    var dynamicAnchors: [String: NodeID] = [:]
    /// The resource root when it carries `$recursiveAnchor: true`.
    var recursiveAnchorRoot: NodeID?
}
