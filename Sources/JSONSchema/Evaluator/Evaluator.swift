/// Runs a compiled schema against one instance. One evaluator per validation call: it owns the error list, the
/// instance path (turned into a pointer only when an error is recorded) and the dynamic scope.
final class Evaluator {
    private let nodes: [SchemaNode]
    private let resources: [RuntimeResource]
    private let maxErrors: Int
    private(set) var errors: [ValidationError] = []
    private(set) var truncated = false
    /// Set once the error cap is passed or the depth limit is hit: every evaluation then unwinds quickly.
    private var stopped = false
    /// Above zero inside subschemas whose failures are not reported on their own (anyOf branches, not, if...).
    private var quietLevel = 0
    private var path: [PathComponent] = []
    /// Schema resources entered so far, outermost first (for `$dynamicRef` and `$recursiveRef`).
    private var dynamicScope: [Int] = []
    private var depth = 0
    private let maxDepth: Int
    /// The lowest stack address evaluation may reach: frame sizes differ between debug and release builds and
    /// thread stacks between event loops and task threads, so stack use is measured, not estimated from depth.
    private let stackFloor: UInt

    private enum PathComponent {
        case key(String)
        case index(Int)
    }

    init(schema: CompiledSchema, maxErrors: Int, maxDepth: Int = CompiledSchema.maxEvaluationDepth,
         maxStackBytes: Int = CompiledSchema.defaultMaxStackBytes) {
        self.maxDepth = maxDepth
        let here = Self.stackAddress()
        stackFloor = here > UInt(maxStackBytes) ? here - UInt(maxStackBytes) : 0
        nodes = schema.nodes
        resources = schema.resources
        self.maxErrors = max(0, maxErrors)
        if maxErrors <= 0 { quietLevel = 1 }
    }

    private var quiet: Bool { quietLevel > 0 }

    /// Evaluates a node; on success merges what it evaluated into `evaluated` (when the caller collects it).
    func evaluate(_ id: NodeID, _ instance: JSONInstance, _ evaluated: inout EvaluatedLocations?) -> Bool {
        let node = nodes[nodes[id].forwardsTo ?? id]
        guard depth < maxDepth, depth & 7 != 0 || Self.stackAddress() > stackFloor else {
            if !quiet {
                let limit = depth < maxDepth ? "the evaluation stack budget (\(depth) nested schema evaluations)"
                    : "\(maxDepth) nested schema evaluations"
                record(keyword: "$ref", location: node.keywords.first?.location ?? "",
                       message: "exceeds \(limit) (a reference cycle that never advances, or an instance nested too deeply)")
            }
            stopped = true
            return false
        }
        depth += 1
        let entersResource = dynamicScope.last != node.resource
        if entersResource { dynamicScope.append(node.resource) }
        var local: EvaluatedLocations? = evaluated != nil || node.collectsAnnotations ? EvaluatedLocations() : nil
        var valid = true
        for keyword in node.keywords where !check(keyword, instance, &local) {
            valid = false
            if quiet || stopped { break }
        }
        if entersResource { dynamicScope.removeLast() }
        depth -= 1
        if valid, evaluated != nil, let local { evaluated!.merge(local) }
        return valid
    }

    /// An address in the caller's frame (stacks grow down on every platform Swift runs on here).
    @inline(never)
    private static func stackAddress() -> UInt {
        var marker: UInt8 = 0
        return withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
    }

    /// Evaluates without reporting errors of its own; the caller reports one summary error instead.
    private func evaluateQuietly(_ id: NodeID, _ instance: JSONInstance, _ evaluated: inout EvaluatedLocations?) -> Bool {
        quietLevel += 1
        defer { quietLevel -= 1 }
        return evaluate(id, instance, &evaluated)
    }

    private func evaluate(_ id: NodeID, _ instance: JSONInstance, at component: PathComponent) -> Bool {
        path.append(component)
        defer { path.removeLast() }
        var none: EvaluatedLocations?
        return evaluate(id, instance, &none)
    }

    // MARK: errors

    private func instancePointer(extra: PathComponent? = nil) -> String {
        var pointer = ""
        for component in path + (extra.map { [$0] } ?? []) {
            switch component {
            case .key(let key): pointer += "/" + JSONPointer.escape(key)
            case .index(let index): pointer += "/\(index)"
            }
        }
        return pointer
    }

    private func record(keyword: String, location: String, message: String, extra: PathComponent? = nil) {
        guard errors.count < maxErrors else {
            truncated = true
            stopped = true
            return
        }
        errors.append(ValidationError(instancePointer: instancePointer(extra: extra), keyword: keyword,
                                      schemaLocation: location, message: message))
    }

    /// Records a violation of `keyword` (unless quiet) and returns false for the caller to propagate.
    private func fail(_ keyword: CompiledKeyword, _ message: @autoclosure () -> String) -> Bool {
        if !quiet { record(keyword: keyword.name, location: keyword.location, message: message()) }
        return false
    }

    private var keepGoing: Bool { !quiet && !stopped }

    // MARK: keywords

    private func check(_ keyword: CompiledKeyword, _ instance: JSONInstance, _ local: inout EvaluatedLocations?) -> Bool {
        switch keyword.check {
        case .alwaysFalse:
            return fail(keyword, "no value is allowed here (the schema is false)")
        case .type(let types, let names):
            let actual: JSONTypes
            switch instance {
            case .null: actual = .null
            case .bool: actual = .boolean
            case .number(let number): actual = number.isInteger ? [.integer, .number] : .number
            case .string: actual = .string
            case .array: actual = .array
            case .object: actual = .object
            }
            return types.isDisjoint(with: actual) ? fail(keyword, "must be \(names)") : true
        case .enumeration(let allowed):
            return allowed.contains(instance) ? true : fail(keyword, "must be equal to one of the allowed values")
        case .constant(let expected):
            return instance == expected ? true : fail(keyword, "must be equal to constant \(expected.jsonText)")
        case .multipleOf(let divisor):
            guard case .number(let number) = instance, !number.isMultiple(of: divisor) else { return true }
            return fail(keyword, "must be multiple of \(divisor)")
        case .maximum(let limit, let exclusive):
            guard case .number(let number) = instance else { return true }
            if exclusive ? number < limit : number <= limit { return true }
            return fail(keyword, "must be \(exclusive ? "<" : "<=") \(limit)")
        case .minimum(let limit, let exclusive):
            guard case .number(let number) = instance else { return true }
            if exclusive ? number > limit : number >= limit { return true }
            return fail(keyword, "must be \(exclusive ? ">" : ">=") \(limit)")
        case .maxLength(let limit):
            // A string has at most as many scalars as UTF-8 bytes: most strings pass without being counted.
            guard case .string(let string) = instance, string.utf8.count > limit,
                  string.unicodeScalars.count > limit else { return true }
            return fail(keyword, "must NOT have more than \(limit) characters")
        case .minLength(let limit):
            // ... and at least a quarter as many (a scalar is at most four bytes).
            guard case .string(let string) = instance, (string.utf8.count + 3) / 4 < limit,
                  string.unicodeScalars.count < limit else { return true }
            return fail(keyword, "must NOT have fewer than \(limit) characters")
        case .pattern(let regex, let source):
            guard case .string(let string) = instance, !regex.firstMatch(in: string) else { return true }
            return fail(keyword, "must match pattern \(JSONInstance.quoted(source))")
        case .format(let checker):
            guard case .string(let string) = instance, !checker.isValid(string) else { return true }
            return fail(keyword, "must match format \"\(checker.name)\"")
        case .maxItems(let limit):
            guard case .array(let items) = instance, items.count > limit else { return true }
            return fail(keyword, "must NOT have more than \(limit) items")
        case .minItems(let limit):
            guard case .array(let items) = instance, items.count < limit else { return true }
            return fail(keyword, "must NOT have fewer than \(limit) items")
        case .uniqueItems:
            guard case .array(let items) = instance, let (first, second) = firstDuplicate(items) else { return true }
            return fail(keyword, "must NOT have duplicate items (items \(first) and \(second) are identical)")
        case .maxProperties(let limit):
            guard case .object(let object) = instance, object.count > limit else { return true }
            return fail(keyword, "must NOT have more than \(limit) properties")
        case .minProperties(let limit):
            guard case .object(let object) = instance, object.count < limit else { return true }
            return fail(keyword, "must NOT have fewer than \(limit) properties")
        case .required(let names):
            guard case .object(let object) = instance else { return true }
            var valid = true
            var hint = 0
            for key in names {
                if let position = object.position(of: key, hint: hint) {
                    hint = position + 1
                    continue
                }
                valid = fail(keyword, "must have required property '\(key.name)'")
                if !keepGoing { return false }
            }
            return valid
        case .dependentRequired(let dependencies):
            guard case .object(let object) = instance else { return true }
            var valid = true
            for (property, required) in dependencies where object[property] != nil {
                for name in required where object[name] == nil {
                    valid = fail(keyword, "must have property '\(name)' when property '\(property)' is present")
                    if !keepGoing { return false }
                }
            }
            return valid
        default:
            return checkApplicator(keyword, instance, &local)
        }
    }

    private func checkApplicator(_ keyword: CompiledKeyword, _ instance: JSONInstance,
                                 _ local: inout EvaluatedLocations?) -> Bool {
        switch keyword.check {
        case .properties(let properties):
            guard case .object(let object) = instance else { return true }
            var valid = true
            var hint = 0
            for (key, node) in properties {
                guard let position = object.position(of: key, hint: hint) else { continue }
                hint = position + 1
                local?.properties.insert(ExactKey(key.name))
                if !evaluate(node, object.storage[position].value, at: .key(key.name)) {
                    valid = false
                    if !keepGoing { return false }
                }
            }
            return valid
        case .patternProperties(let patterns):
            guard case .object(let object) = instance else { return true }
            var valid = true
            for (name, value) in object.members {
                for (regex, node) in patterns where regex.firstMatch(in: name) {
                    local?.properties.insert(ExactKey(name))
                    if !evaluate(node, value, at: .key(name)) {
                        valid = false
                        if !keepGoing { return false }
                    }
                }
            }
            return valid
        case .additionalProperties(let node, let isFalse, let known, let patterns):
            guard case .object(let object) = instance else { return true }
            var valid = true
            for position in object.storage.indices {
                let name = object.storage[position].key
                if known.contains(name, tag: object.storage[position].tag)
                    || patterns.contains(where: { $0.firstMatch(in: name) }) {
                    continue
                }
                let value = object.storage[position].value
                if isFalse {
                    valid = fail(keyword, "must NOT have additional property '\(name)'")
                } else if !evaluate(node, value, at: .key(name)) {
                    valid = false
                }
                if !valid && !keepGoing { return false }
            }
            local?.allProperties = true
            return valid
        case .propertyNames(let node):
            guard case .object(let object) = instance else { return true }
            var valid = true
            var none: EvaluatedLocations?
            for name in object.storage.lazy.map(\.key) where !evaluateQuietly(node, .string(name), &none) {
                valid = fail(keyword, "property name '\(name)' is invalid")
                if !keepGoing { return false }
            }
            return valid
        case .prefixItems(let schemas):
            guard case .array(let items) = instance else { return true }
            var valid = true
            for (index, item) in items.prefix(schemas.count).enumerated() where !evaluate(schemas[index], item, at: .index(index)) {
                valid = false
                if !keepGoing { return false }
            }
            let covered = min(items.count, schemas.count)
            if let prefix = local?.itemPrefix { local?.itemPrefix = max(prefix, covered) }
            return valid
        case .items(let node, let start, let isFalse):
            guard case .array(let items) = instance else { return true }
            local?.allItems = true
            guard items.count > start else { return true }
            if isFalse { return fail(keyword, "must NOT have more than \(start) items") }
            var valid = true
            for index in start..<items.count where !evaluate(node, items[index], at: .index(index)) {
                valid = false
                if !keepGoing { return false }
            }
            return valid
        case .contains(let node, let minimum, let maximum, let annotatesItems):
            guard case .array(let items) = instance else { return true }
            var matches = 0
            var none: EvaluatedLocations?
            for (index, item) in items.enumerated() {
                path.append(.index(index))
                let matched = evaluateQuietly(node, item, &none)
                path.removeLast()
                if matched {
                    matches += 1
                    if annotatesItems { local?.itemIndices.insert(index) }
                    // Without annotations to collect, stop once the verdict cannot change.
                    if local == nil, let maximum, matches > maximum { break }
                    if local == nil, maximum == nil, matches >= minimum { break }
                }
            }
            if matches < minimum {
                return fail(keyword, "must contain at least \(minimum) valid item\(minimum == 1 ? "" : "s")")
            }
            if let maximum, matches > maximum {
                return fail(keyword, "must contain at most \(maximum) valid item\(maximum == 1 ? "" : "s")")
            }
            return true
        case .allOf(let schemas):
            var valid = true
            for node in schemas where !evaluate(node, instance, &local) {
                valid = false
                if !keepGoing { return false }
            }
            return valid
        case .anyOf(let schemas):
            var matched = false
            for node in schemas where evaluateQuietly(node, instance, &local) {
                matched = true
                if local == nil { break }
            }
            return matched ? true : fail(keyword, "must match a schema in anyOf")
        case .oneOf(let schemas):
            var matchedIndices: [Int] = []
            for (index, node) in schemas.enumerated() where evaluateQuietly(node, instance, &local) {
                matchedIndices.append(index)
                if matchedIndices.count > 1 { break }
            }
            if matchedIndices.count == 1 { return true }
            if matchedIndices.isEmpty { return fail(keyword, "must match exactly one schema in oneOf (matched none)") }
            return fail(keyword, "must match exactly one schema in oneOf (matched \(matchedIndices[0]) and \(matchedIndices[1]))")
        case .not(let node):
            var none: EvaluatedLocations?
            return evaluateQuietly(node, instance, &none) ? fail(keyword, "must NOT be valid against the schema in not") : true
        case .conditional(let condition, let then, let otherwise):
            if evaluateQuietly(condition, instance, &local) {
                return then.map { evaluate($0, instance, &local) } ?? true
            }
            return otherwise.map { evaluate($0, instance, &local) } ?? true
        case .dependentSchemas(let dependencies):
            guard case .object(let object) = instance else { return true }
            var valid = true
            for (property, node) in dependencies where object[property] != nil && !evaluate(node, instance, &local) {
                valid = false
                if !keepGoing { return false }
            }
            return valid
        case .ref(let node):
            return evaluate(node, instance, &local)
        case .dynamicRef(let node, let anchor):
            var target = node
            if let anchor {
                for resource in dynamicScope {
                    if let outermost = resources[resource].dynamicAnchors[anchor] { target = outermost; break }
                }
            }
            return evaluate(target, instance, &local)
        case .recursiveRef(let node, let targetHasRecursiveAnchor):
            var target = node
            if targetHasRecursiveAnchor {
                for resource in dynamicScope.reversed() {
                    guard let root = resources[resource].recursiveAnchorRoot else { break }
                    target = root
                }
            }
            return evaluate(target, instance, &local)
        case .unevaluatedProperties(let node, let isFalse):
            guard case .object(let object) = instance else { return true }
            var valid = true
            for (name, value) in object.members where !(local?.containsProperty(name) ?? false) {
                if isFalse {
                    valid = fail(keyword, "must NOT have unevaluated property '\(name)'")
                } else if evaluate(node, value, at: .key(name)) {
                    local?.properties.insert(ExactKey(name))
                } else {
                    valid = false
                }
                if !valid && !keepGoing { return false }
            }
            return valid
        case .unevaluatedItems(let node, let isFalse):
            guard case .array(let items) = instance else { return true }
            var valid = true
            for (index, item) in items.enumerated() where !(local?.containsItem(index) ?? false) {
                if isFalse {
                    valid = fail(keyword, "must NOT have unevaluated item \(index)")
                } else if evaluate(node, item, at: .index(index)) {
                    local?.itemIndices.insert(index)
                } else {
                    valid = false
                }
                if !valid && !keepGoing { return false }
            }
            return valid
        default:
            return true
        }
    }

    /// The first pair of equal items (by JSON equality: 1 == 1.0, objects unordered), or nil.
    private func firstDuplicate(_ items: [JSONInstance]) -> (Int, Int)? {
        guard items.count > 1 else { return nil }
        for second in 1..<items.count {
            for first in 0..<second where items[first] == items[second] { return (first, second) }
        }
        return nil
    }
}
