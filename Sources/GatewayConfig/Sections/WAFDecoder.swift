import GatewayCore
import JSONSchema

/// The `waf` section: IP sets (inline or from a file), rules with match conditions, rate-based rules and actions.
/// Rule totals and rate counters come from the gateway's `GatewayState`, so a reload keeps them.
enum WAFDecoder {
    static let windowRange = Duration.seconds(10)...Duration.seconds(3600)
    static let maxLimit = 1_000_000_000
    /// Rate rules share a 64-bit over-limit mask per request (AWS WAF allows 10 per web ACL).
    static let maxRateRules = 64
    static let maxTrackedKeysRange = 1...10_000_000
    static let maxConditionDepth = 32

    static func decode(_ node: Node?, state: GatewayState) -> WAFPolicy?? {
        guard let node else { return .some(nil) }
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        let context = node.context
        let before = context.errorCount
        let ipSets = reader.optional("ipSets").map(decodeIPSets) ?? [:]
        let blockStatus = reader.optional("blockStatus").flatMap { $0.int(in: 400...599) } ?? 403
        let maxTrackedKeys = reader.optional("maxTrackedKeys").flatMap { $0.int(in: maxTrackedKeysRange) }
            ?? WAFPolicy.defaultMaxTrackedKeys
        var rules: [WAFRule] = []
        if let rulesNode = reader.required("rules"), let items = rulesNode.array() {
            var names: Set<String> = []
            var rateRules = 0
            for item in items {
                guard let rule = decodeRule(item, ipSets: ipSets, maxTrackedKeys: maxTrackedKeys, state: state) else {
                    continue
                }
                if !names.insert(rule.name).inserted {
                    context.error(JSONPointer.appending(item.pointer, "name"), "rule name \"\(rule.name)\" is used twice")
                    continue
                }
                if rule.rate != nil {
                    rateRules += 1
                    if rateRules > maxRateRules {
                        context.error(item.pointer, "at most \(maxRateRules) rules may be rate-based")
                        continue
                    }
                }
                rules.append(rule)
            }
        }
        guard context.errorCount == before else { return nil }
        return .some(WAFPolicy(rules: rules, blockStatus: blockStatus, maxTrackedKeys: maxTrackedKeys))
    }

    // MARK: IP sets

    static func decodeIPSets(_ node: Node) -> [String: CIDRSet] {
        guard let reader = node.object() else { return [:] }
        var sets: [String: CIDRSet] = [:]
        for member in reader.object.members {
            let entry = Node(value: member.value, pointer: reader.pointer(of: member.key), context: node.context)
            if member.key.isEmpty {
                node.context.error(entry.pointer, "an IP set needs a name")
                continue
            }
            if let set = decodeIPSet(entry) { sets[member.key] = set }
        }
        return sets
    }

    /// A list of CIDRs, or `{"file": PATH}` with one CIDR a line and `#` comments (re-read on every reload).
    static func decodeIPSet(_ node: Node) -> CIDRSet? {
        if case .object = node.value {
            guard let reader = node.object() else { return nil }
            defer { reader.finish() }
            guard let fileNode = reader.required("file"), let path = fileNode.filePath() else { return nil }
            return readIPSetFile(path, at: fileNode)
        }
        return node.cidrSet()
    }

    static let maxReportedFileErrors = 10

    static func readIPSetFile(_ path: String, at node: Node) -> CIDRSet? {
        let bytes: [UInt8]
        switch ConfigLoader.readFile(path) {
        case .success(let read): bytes = read
        case .failure(let error):
            node.context.error(node.pointer, "cannot read IP set file \(path): \(error.message)")
            return nil
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            node.context.error(node.pointer, "IP set file \(path) is not UTF-8 text")
            return nil
        }
        var networks: [(IPAddress, Int)] = []
        var errors = 0
        var lineNumber = 0
        // `isNewline` takes "\r\n" (one Character in Swift) as well as "\n".
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let content = rawLine.firstIndex(of: "#").map { rawLine[..<$0] } ?? rawLine
            let entry = content.trimmingASCIIWhitespace()
            if entry.isEmpty { continue }
            do {
                networks.append(try CIDRSet.parse(entry, index: lineNumber))
            } catch {
                errors += 1
                if errors <= maxReportedFileErrors {
                    node.context.error(node.pointer, "\(path) line \(lineNumber): \(error.message)")
                }
            }
        }
        if errors > maxReportedFileErrors {
            node.context.error(node.pointer, "\(path): \(errors - maxReportedFileErrors) more invalid lines")
        }
        return errors == 0 ? CIDRSet(networks: networks) : nil
    }

    // MARK: rules

    static func decodeRule(_ node: Node, ipSets: [String: CIDRSet], maxTrackedKeys: Int,
                           state: GatewayState) -> WAFRule? {
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        let context = node.context
        let before = context.errorCount
        let name = reader.required("name")?.nonEmptyString()
        let action = reader.required("action").flatMap { actionNode -> WAFRule.Action? in
            guard let text = actionNode.string() else { return nil }
            guard let action = WAFRule.Action(rawValue: text) else {
                context.error(actionNode.pointer, "must be \"allow\", \"block\" or \"count\" (got \"\(text)\")")
                return nil
            }
            return action
        }
        let matchNode = reader.optional("match")
        let match = matchNode.flatMap { decodeCondition($0, ipSets: ipSets, depth: 0) }
        let rateNode = reader.optional("rateBased")
        if matchNode == nil, rateNode == nil {
            context.error(node.pointer, "a rule needs \"match\", \"rateBased\" or both")
        }
        var rate: RateRule?
        if let rateNode, let name {
            rate = decodeRate(rateNode, rule: name, maxTrackedKeys: maxTrackedKeys, state: state)
        }
        guard context.errorCount == before, let name, let action else { return nil }
        return WAFRule(name: name, match: match, rate: rate, action: action, stats: state.stats(forRule: name))
    }

    static func decodeRate(_ node: Node, rule: String, maxTrackedKeys: Int, state: GatewayState) -> RateRule? {
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        let context = node.context
        let limit = reader.required("limit")?.int(in: 1...maxLimit)
        var window: Duration?
        if let windowNode = reader.required("window"), let parsed = windowNode.duration(max: windowRange.upperBound) {
            if parsed < windowRange.lowerBound {
                context.error(windowNode.pointer, "must be between 10s and 1h (got \(DurationSyntax.format(parsed)))")
            } else {
                window = parsed
            }
        }
        var key = RateRule.Key.ip
        if let keyNode = reader.optional("key") {
            guard let text = keyNode.string() else { return nil }
            guard let parsed = rateKey(text) else {
                context.error(keyNode.pointer, "must be \"ip\", \"apiKey\", \"path\" or \"header:NAME\" (got \"\(text)\")")
                return nil
            }
            key = parsed
        }
        guard let limit, let window else { return nil }
        let (seconds, attoseconds) = window.components
        let id = RateRuleID(rule: rule, key: key.description,
                            windowNanoseconds: seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        return RateRule(limit: limit, window: window, key: key,
                        counters: state.rateWindows.window(for: id, maxTrackedKeys: maxTrackedKeys))
    }

    static func rateKey(_ text: String) -> RateRule.Key? {
        switch text {
        case "ip": return .ip
        case "apiKey": return .apiKey
        case "path": return .path
        default:
            guard text.hasPrefix("header:") else { return nil }
            let name = text.dropFirst("header:".count)
            guard HTTPToken.isToken(name) else { return nil }
            return .header(name.lowercased())
        }
    }

    // MARK: conditions

    /// A match object: every condition it names must hold (one condition is itself).
    static func decodeCondition(_ node: Node, ipSets: [String: CIDRSet], depth: Int) -> WAFCondition? {
        guard depth < maxConditionDepth else {
            node.context.error(node.pointer, "conditions nest deeper than \(maxConditionDepth) levels")
            return nil
        }
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        let context = node.context
        let before = context.errorCount
        var conditions: [WAFCondition] = []
        if let n = reader.optional("ipSet"), let name = n.string() {
            if let set = ipSets[name] {
                conditions.append(.ipSet(name: name, set))
            } else {
                let known = ipSets.keys.sorted()
                context.error(n.pointer, "no IP set \"\(name)\" in /waf/ipSets"
                    + (known.isEmpty ? "" : " (it has \(known.map { "\"\($0)\"" }.joined(separator: ", ")))"))
            }
        }
        if let n = reader.optional("path"), let glob = n.nonEmptyString(), let regex = compileGlob(glob, at: n) {
            conditions.append(.path(glob: glob, regex))
        }
        if let n = reader.optional("pathRegex"), let pattern = n.string(), let regex = compileRegex(pattern, at: n) {
            conditions.append(.pathRegex(regex))
        }
        if let n = reader.optional("method"), let methods = decodeMethods(n) {
            conditions.append(.methods(methods))
        }
        if let n = reader.optional("header"), let (name, test, ignoreCase) = decodeFieldTest(n, header: true) {
            conditions.append(.header(name: name, test, ignoreCase: ignoreCase))
        }
        if let n = reader.optional("query"), let (name, test, ignoreCase) = decodeFieldTest(n, header: false) {
            conditions.append(.query(name: name, test, ignoreCase: ignoreCase))
        }
        if let n = reader.optional("bodySizeOver"), let size = n.size(in: 0...Int(Int32.max)) {
            conditions.append(.bodySizeOver(size))
        }
        for combinator in ["all", "any"] {
            guard let n = reader.optional(combinator), let items = n.array() else { continue }
            if items.isEmpty {
                context.error(n.pointer, "must list at least one condition")
                continue
            }
            let parts = items.compactMap { decodeCondition($0, ipSets: ipSets, depth: depth + 1) }
            guard parts.count == items.count else { continue }
            conditions.append(combinator == "all" ? .all(parts) : .any(parts))
        }
        if let n = reader.optional("not"), let inner = decodeCondition(n, ipSets: ipSets, depth: depth + 1) {
            conditions.append(.not(inner))
        }
        guard context.errorCount == before else { return nil }
        if conditions.isEmpty {
            // Members that are not conditions are reported by `finish` as unknown keys; say more only when empty.
            guard reader.object.members.isEmpty else { return nil }
            context.error(node.pointer, "a match needs at least one condition (ipSet, path, pathRegex, method, header, "
                + "query, bodySizeOver, all, any, not)")
            return nil
        }
        return conditions.count == 1 ? conditions[0] : .all(conditions)
    }

    static func decodeMethods(_ node: Node) -> [String]? {
        let items: [Node]
        if case .array = node.value {
            guard let list = node.array() else { return nil }
            if list.isEmpty {
                node.context.error(node.pointer, "must list at least one method")
                return nil
            }
            items = list
        } else {
            items = [node]
        }
        var methods: [String] = []
        for item in items {
            guard let text = item.nonEmptyString() else { return nil }
            guard HTTPToken.isToken(text) else {
                item.context.error(item.pointer, "\"\(text)\" is not an HTTP method")
                return nil
            }
            // Methods are case-sensitive (RFC 9110 §9.1): "post" is not POST, and a rule for it would never match.
            if text != text.uppercased() {
                item.context.error(item.pointer, "methods are case-sensitive and upper-case (got \"\(text)\")")
                return nil
            }
            methods.append(text)
        }
        return methods
    }

    /// `{"name", "equals" | "contains" | "regex": STRING}` or `{"name", "present": BOOL}`: exactly one test; plus
    /// Portcullis's `ignoreCase` (default false).
    static func decodeFieldTest(_ node: Node, header: Bool) -> (String, WAFCondition.FieldTest, Bool)? {
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        let context = node.context
        let ignoreCase = reader.optional("ignoreCase").map { $0.bool() ?? false } ?? false
        let tests = ["equals", "contains", "regex", "present"].compactMap { key in reader.optional(key).map { (key, $0) } }
        guard let nameNode = reader.required("name"), let rawName = nameNode.nonEmptyString() else { return nil }
        if header, !HTTPToken.isToken(rawName) {
            context.error(nameNode.pointer, "\"\(rawName)\" is not a header name")
            return nil
        }
        let name = header ? rawName.lowercased() : rawName
        guard tests.count == 1 else {
            context.error(node.pointer, "needs exactly one of \"equals\", \"contains\", \"regex\" or \"present\""
                + (tests.isEmpty ? "" : " (got \(tests.map { "\"\($0.0)\"" }.joined(separator: ", ")))"))
            return nil
        }
        let (kind, testNode) = tests[0]
        switch kind {
        case "present":
            return testNode.bool().map { (name, .present($0), ignoreCase) }
        case "regex":
            let hint = " (for case-insensitive matching, add \"ignoreCase\": true and write the pattern in lower case)"
            guard let pattern = testNode.string(), let regex = compileRegex(pattern, at: testNode, hint: hint) else {
                return nil
            }
            return (name, .regex(regex), ignoreCase)
        case "equals":
            return testNode.string().map { (name, .equals($0), ignoreCase) }
        default:
            return testNode.string().map { (name, .contains($0), ignoreCase) }
        }
    }

    /// `hint` is added when the pattern tries inline flags (`(?i)`), which ECMA-262 does not have.
    static func compileRegex(_ pattern: String, at node: Node, hint: String = "") -> ECMARegex? {
        do {
            return try ECMARegex(pattern)
        } catch {
            let flags = pattern.contains("(?i") || pattern.contains("(?-i") ? hint : ""
            node.context.error(node.pointer, "invalid regex \"\(pattern)\": \(error.description)\(flags)")
            return nil
        }
    }

    /// `*` matches within one segment, `**` across segments; everything else literally. The glob must be in the
    /// normal form request paths are matched in, or it could never match (`/a/../b`, `/%61dmin`, `//x`).
    static func compileGlob(_ glob: String, at node: Node) -> ECMARegex? {
        guard glob.hasPrefix("/") || glob.hasPrefix("*") else {
            node.context.error(node.pointer, "a path glob starts with \"/\" (got \"\(glob)\")")
            return nil
        }
        let literal = String(glob.map { $0 == "*" ? "x" : $0 })
        if literal.hasPrefix("/"), case .success(let normal) = RequestPath.normalForm(Substring(literal)), normal != literal {
            node.context.error(node.pointer, "path globs match normalised paths, so \"\(glob)\" could never match "
                + "(write it as \"\(normal)\" with the * kept)")
            return nil
        } else if literal.hasPrefix("/"), case .failure(let rejection) = RequestPath.normalForm(Substring(literal)) {
            node.context.error(node.pointer, "\"\(glob)\" could never match: \(rejection.detail)")
            return nil
        }
        var pattern = "^"
        var chars = glob.unicodeScalars.makeIterator()
        var pending = chars.next()
        while let c = pending {
            pending = chars.next()
            if c == "*" {
                if pending == "*" {
                    pending = chars.next()
                    pattern += ".*"
                } else {
                    pattern += "[^/]*"
                }
            } else if "\\^$.|?+()[]{}/".unicodeScalars.contains(c) {
                pattern += "\\" + String(c)
            } else {
                pattern.unicodeScalars.append(c)
            }
        }
        pattern += "$"
        return compileRegex(pattern, at: node)
    }
}
