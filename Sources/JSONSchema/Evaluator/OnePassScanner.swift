/// Reads a document's bytes once against a `OnePassProgram` and answers whether it is certainly valid JSON that the
/// schema accepts, building nothing: the valid request body, the common case, skips the parse into a tree and the
/// evaluation (measured on the 1 KB benchmark order: about 5 µs instead of 14).
///
/// "False" only means "not certain". It is answered for every violation and also for whatever this pass does not
/// decide itself (an escape in a member name, an `enum` of objects, a number or an escaped string in a
/// `uniqueItems` array); the caller then runs the parser and the evaluator, which decide and list the errors. So
/// it must never accept what they reject: the syntax rules, depth limit and duplicate-key rule are the parser's,
/// the checks the evaluator's.
struct OnePassScanner {
    private let nodes: UnsafeBufferPointer<OnePassProgram.Node>
    private let bytes: UnsafeBufferPointer<UInt8>
    private let maxDepth: Int
    private var position = 0
    private var depth = 0
    /// Keys of the objects being read, innermost last, for the duplicate check.
    private var openKeys: [(tag: KeyTag, start: Int, end: Int)] = []
    /// The text of the last string read that had escapes, decoded (reused from string to string).
    private var unescaped: [UInt8] = []

    /// A string as read: its bytes where they lie when it has no escapes, else decoded into `unescaped`.
    private enum StringToken {
        case inPlace(Range<Int>, isASCII: Bool)
        case decoded(isASCII: Bool)
    }

    /// Members per object this pass compares for duplicates; larger objects are left to the parser.
    private static let maxMembers = 64
    /// Items per `uniqueItems` array this pass compares pairwise; larger arrays are left to the evaluator.
    private static let maxUniqueItems = 64
    /// Nested evaluations a document may need here. The evaluator stops at its own depth and stack limits, which
    /// this pass cannot see, so deeper documents are left to it; this bound is far inside every limit it is run with
    /// (250 nested evaluations and 256 KB of stack by default, even in a debug build) and far past real bodies.
    static let maxEvaluationDepth = 32

    /// `maxDepth` is the parser's nesting limit; the pass may stop sooner (see `maxEvaluationDepth`).
    static func accepts(_ program: OnePassProgram, _ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) -> Bool {
        // A value inside `depth` containers costs the evaluator at most (depth + 1) × evaluationsPerLevel nested
        // evaluations.
        let levels = max(1, maxEvaluationDepth / program.evaluationsPerLevel)
        return program.nodes.withUnsafeBufferPointer { nodes in
            var scanner = OnePassScanner(nodes: nodes, bytes: bytes, maxDepth: min(maxDepth, levels - 1))
            scanner.skipWhitespace()
            guard scanner.value(program.root) else { return false }
            scanner.skipWhitespace()
            return scanner.position == bytes.count
        }
    }

    private init(nodes: UnsafeBufferPointer<OnePassProgram.Node>, bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.nodes = nodes
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    private mutating func skipWhitespace() {
        while position < bytes.count, JSONSyntax.isWhitespace(bytes[position]) { position += 1 }
    }

    /// A node's rules in place: fields are read through the pointer, never copied out as a whole struct.
    private func rulesOf(_ node: Int) -> UnsafePointer<OnePassProgram.Node> { nodes.baseAddress! + node }

    private func allows(_ node: Int, _ actual: JSONTypes) -> Bool {
        guard let types = rulesOf(node).pointee.types else { return true }
        return !types.isDisjoint(with: actual)
    }

    private mutating func value(_ node: Int) -> Bool {
        guard position < bytes.count, !rulesOf(node).pointee.rejectsEverything else { return false }
        switch bytes[position] {
        case UInt8(ascii: "{"): return object(node)
        case UInt8(ascii: "["): return array(node)
        case UInt8(ascii: "\""):
            switch string() {
            case .inPlace(let range, let isASCII)?:
                return check(string: UnsafeBufferPointer(rebasing: bytes[range]), isASCII: isASCII, node)
            case .decoded(let isASCII)?:
                return unescaped.withUnsafeBufferPointer { check(string: $0, isASCII: isASCII, node) }
            case nil:
                return false
            }
        case UInt8(ascii: "t"): return literal("true", .boolean, node) && allowed(node) { $0.booleans.contains(true) }
        case UInt8(ascii: "f"): return literal("false", .boolean, node) && allowed(node) { $0.booleans.contains(false) }
        case UInt8(ascii: "n"): return literal("null", .null, node) && allowed(node) { $0.null }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number(node)
        default: return false
        }
    }

    // MARK: scalars

    /// Whether the value is among every `enum` of the node (true when it has none).
    private func allowed(_ node: Int, _ isAmong: (OnePassProgram.AllowedValues) -> Bool) -> Bool {
        rulesOf(node).pointee.allowedValues.withUnsafeBufferPointer { sets in sets.indices.allSatisfy { isAmong(sets[$0]) } }
    }

    private mutating func literal(_ text: StaticString, _ type: JSONTypes, _ node: Int) -> Bool {
        let count = text.utf8CodeUnitCount
        guard position + count <= bytes.count,
              text.withUTF8Buffer({ expected in (0..<count).allSatisfy { bytes[position + $0] == expected[$0] } })
        else { return false }
        position += count
        return allows(node, type)
    }

    private mutating func number(_ node: Int) -> Bool {
        let start = position
        while position < bytes.count, JSONSyntax.isNumberByte(bytes[position]) { position += 1 }
        guard let number = JSONNumber.parse(UnsafeBufferPointer(rebasing: bytes[start..<position])) else { return false }
        guard allows(node, number.isInteger ? [.integer, .number] : .number) else { return false }
        let rules = rulesOf(node)
        for (limit, exclusive) in rules.pointee.minimums where exclusive ? !(number > limit) : number < limit { return false }
        for (limit, exclusive) in rules.pointee.maximums where exclusive ? !(number < limit) : number > limit { return false }
        for divisor in rules.pointee.divisors where !number.isMultiple(of: divisor) { return false }
        return allowed(node) { $0.numbers.contains(number) }
    }


    /// A string: in place when it has no escapes (its bytes are then its UTF-8 text), else decoded; with whether it
    /// is all ASCII. Nil for anything the parser rejects.
    private mutating func string() -> StringToken? {
        position += 1
        let start = position
        var highBits: UInt8 = 0
        // Eight bytes at a time while none of them ends the string, escapes or is a control character.
        while position + 8 <= bytes.count {
            let word = UnsafeRawPointer(bytes.baseAddress! + position).loadUnaligned(as: UInt64.self)
            guard !Self.hasSpecialByte(word) else { break }
            highBits |= word & 0x8080_8080_8080_8080 == 0 ? 0 : 0x80
            position += 8
        }
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let range = start..<position
                position += 1
                guard highBits < 0x80 || UTF8Validation.isValid(UnsafeBufferPointer(rebasing: bytes[range])) else { return nil }
                return .inPlace(range, isASCII: highBits < 0x80)
            }
            if byte == UInt8(ascii: "\\") { return decodeEscaped(from: start) }
            guard byte >= 0x20 else { return nil }
            highBits |= byte
            position += 1
        }
        return nil
    }

    /// The rest of a string that has escapes, decoded as the parser decodes it (`\uD83D\uDE00` is one scalar; a
    /// lone surrogate or an unknown escape is an error).
    private mutating func decodeEscaped(from start: Int) -> StringToken? {
        unescaped.removeAll(keepingCapacity: true)
        unescaped.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\\") {
                guard JSONEscape.decode(bytes, at: &position, into: &unescaped) == nil else { return nil }
                continue
            }
            position += 1
            if byte == UInt8(ascii: "\"") {
                let isASCII = !unescaped.contains { $0 >= 0x80 }
                guard isASCII || unescaped.withUnsafeBufferPointer(UTF8Validation.isValid) else { return nil }
                return .decoded(isASCII: isASCII)
            }
            guard byte >= 0x20 else { return nil }
            unescaped.append(byte)
        }
        return nil
    }

    /// Whether a word of eight bytes holds a `"`, a `\` or a control character (bit tricks on all lanes at once:
    /// a lane is zero after XOR with the byte sought, and "less than 0x20" borrows in the subtraction).
    private static func hasSpecialByte(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZeroLane(_ x: UInt64) -> Bool { (x &- ones) & ~x & highs != 0 }
        let controls = (word &- ones &* 0x20) & ~word & highs
        return hasZeroLane(word ^ (ones &* 0x22)) || hasZeroLane(word ^ (ones &* 0x5C)) || controls != 0
    }

    private func check(string text: UnsafeBufferPointer<UInt8>, isASCII: Bool, _ node: Int) -> Bool {
        guard allows(node, .string) else { return false }
        let rules = rulesOf(node)
        if rules.pointee.minLength > 0 || rules.pointee.maxLength < text.count {
            // Scalars are the bytes that do not continue a sequence.
            let scalars = isASCII ? text.count : text.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
            guard scalars >= rules.pointee.minLength, scalars <= rules.pointee.maxLength else { return false }
        }
        // Index loops over the arrays in place: iterating by element would copy (and retain) every regex.
        let patternsMatch = rules.pointee.patterns.withUnsafeBufferPointer { patterns in
            patterns.indices.allSatisfy { patterns[$0].firstMatch(utf8: text) }
        }
        guard patternsMatch else { return false }
        if !rules.pointee.formats.isEmpty {
            let string = String(decoding: text, as: UTF8.self)
            let formatsMatch = rules.pointee.formats.withUnsafeBufferPointer { formats in
                formats.indices.allSatisfy { formats[$0].isValid(string) }
            }
            guard formatsMatch else { return false }
        }
        return allowed(node) { set in
            set.strings.withUnsafeBufferPointer { strings in
                strings.indices.contains { index in
                    strings[index].withUnsafeBytes { ExactKey.bytesEqual($0, UnsafeRawBufferPointer(text)) }
                }
            }
        }
    }

    // MARK: containers

    private mutating func enter() -> Bool {
        depth += 1
        position += 1
        skipWhitespace()
        return depth <= maxDepth
    }

    private mutating func object(_ node: Int) -> Bool {
        guard allows(node, .object), rulesOf(node).pointee.allowedValues.isEmpty, enter() else { return false }
        let rules = rulesOf(node)
        var seen: UInt64 = 0
        var count = 0
        let firstKey = openKeys.count
        defer { openKeys.removeLast(openKeys.count - firstKey) }
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
        } else {
            while true {
                // A name with escapes is left to the parser (the duplicate check compares names where they lie).
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\""), count < Self.maxMembers,
                      case .inPlace(let key, _)? = string() else { return false }
                let keyBytes = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[key]))
                let tag = KeyTag(keyBytes)
                for open in openKeys[firstKey...] where open.tag == tag {
                    if tag.isExact || ExactKey.bytesEqual(keyBytes, UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[open.start..<open.end]))) {
                        return false
                    }
                }
                openKeys.append((tag, key.lowerBound, key.upperBound))
                var target = rules.pointee.additionalNode
                let match = rules.pointee.properties.withUnsafeBufferPointer { properties in
                    properties.indices.first { bit in
                        properties[bit].tag == tag
                            && (tag.isExact || properties[bit].name.withUnsafeBytes { ExactKey.bytesEqual($0, keyBytes) })
                    }
                }
                if let match {
                    seen |= 1 << UInt64(match)
                    if let declared = rules.pointee.properties[match].node { target = declared }
                }
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return false }
                position += 1
                skipWhitespace()
                guard let target, value(target) else { return false }
                count += 1
                guard let more = separator(closing: UInt8(ascii: "}")) else { return false }
                if !more { break }
            }
        }
        depth -= 1
        return seen & rules.pointee.requiredMask == rules.pointee.requiredMask
            && count >= rules.pointee.minProperties && count <= rules.pointee.maxProperties
    }

    /// After a member or an item: true when a `,` announces another, false when `closing` ends the container, nil
    /// for anything else.
    private mutating func separator(closing: UInt8) -> Bool? {
        skipWhitespace()
        guard position < bytes.count else { return nil }
        if bytes[position] == UInt8(ascii: ",") {
            position += 1
            skipWhitespace()
            return true
        }
        guard bytes[position] == closing else { return nil }
        position += 1
        return false
    }

    private mutating func array(_ node: Int) -> Bool {
        guard allows(node, .array), rulesOf(node).pointee.allowedValues.isEmpty, enter() else { return false }
        let rules = rulesOf(node)
        var count = 0
        var items: [Range<Int>] = []
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
        } else {
            while true {
                let target = count < rules.pointee.prefixItems.count ? rules.pointee.prefixItems[count]
                    : count >= rules.pointee.itemsStart ? rules.pointee.itemsNode : 0
                let start = position
                guard value(target) else { return false }
                if rules.pointee.uniqueItems {
                    // Strings without escapes, booleans and null are equal exactly when their bytes are.
                    let item = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start..<position]))
                    guard count < Self.maxUniqueItems, bytes[start] == UInt8(ascii: "\"") || bytes[start] == UInt8(ascii: "t")
                            || bytes[start] == UInt8(ascii: "f") || bytes[start] == UInt8(ascii: "n"),
                          !item.contains(UInt8(ascii: "\\")) else { return false }
                    for earlier in items where ExactKey.bytesEqual(item, UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[earlier]))) {
                        return false
                    }
                    items.append(start..<position)
                }
                count += 1
                guard let more = separator(closing: UInt8(ascii: "]")) else { return false }
                if !more { break }
            }
        }
        depth -= 1
        return count >= rules.pointee.minItems && count <= rules.pointee.maxItems
    }
}
