import JSONSchema
import NIOHTTP1

/// A rule's conditions as the stage evaluates them: a tree of immutable objects compiled once from `WAFCondition`.
///
/// Every request walks every rule, so evaluation must not copy: binding an enum's payloads (arrays, regexes,
/// strings) retains each one, and for 20 rules that was most of the WAF's cost. Reading a `let` of a final class
/// borrows it. `@unchecked Sendable`: the base class has no state and every subclass holds only `let` properties
/// of `Sendable` types, set in `init`.
class WAFMatcher: @unchecked Sendable {
    /// `bodySize` is the declared length, or what is known so far of a body of unknown length.
    func matches(_ request: RequestContext, _ path: WAFPath, _ bodySize: Int) -> Bool {
        preconditionFailure("WAFMatcher is abstract")
    }

    static func compile(_ condition: WAFCondition) -> WAFMatcher {
        switch condition {
        case .ipSet(_, let set): return IPSetMatcher(set)
        case .path(let glob, let regex): return PathMatcher(regex, glob: glob)
        case .pathRegex(let regex): return PathMatcher(regex)
        case .method(let methods): return MethodMatcher(methods)
        case .header(let name, let test, let ignoreCase):
            return HeaderMatcher(name: name, FieldMatcher(test, ignoreCase: ignoreCase))
        case .query(let name, let test, let ignoreCase):
            return QueryMatcher(name: name, FieldMatcher(test, ignoreCase: ignoreCase))
        case .bodySizeOver(let limit): return BodySizeMatcher(limit)
        case .all(let conditions): return AllMatcher(conditions.map(compile))
        case .any(let conditions): return AnyMatcher(conditions.map(compile))
        case .not(let condition): return NotMatcher(compile(condition))
        }
    }
}

/// A rule without `match` (a rate rule counting every request).
final class AlwaysMatcher: WAFMatcher, @unchecked Sendable {  // only `let`s of Sendable types
    override func matches(_ request: RequestContext, _ path: WAFPath, _ bodySize: Int) -> Bool { true }
}

final class IPSetMatcher: WAFMatcher, @unchecked Sendable {  // only `let`s of Sendable types
    let set: CIDRSet
    init(_ set: CIDRSet) { self.set = set }
    override func matches(_ request: RequestContext, _ path: WAFPath, _ bodySize: Int) -> Bool {
        set.contains(request.clientIP)
    }
}

/// Globs (compiled to anchored regexes) and `pathRegex`; a path ending in `/` is also tried without it.
///
/// A glob's literal text before its first `*` and after its last must begin and end the path: checked with two byte
/// comparisons first, so the regex runs only on paths that could match (most globs reject most paths right there).
final class PathMatcher: WAFMatcher, @unchecked Sendable {  // only `let`s of Sendable types
    let regex: ECMARegex
    let prefix: [UInt8]
    let suffix: [UInt8]

    init(_ regex: ECMARegex, glob: String? = nil) {
        self.regex = regex
        let bytes = Array((glob ?? "").utf8)
        let firstStar = bytes.firstIndex(of: UInt8(ascii: "*"))
        let lastStar = bytes.lastIndex(of: UInt8(ascii: "*"))
        prefix = Array(bytes[..<(firstStar ?? bytes.endIndex)])
        suffix = lastStar.map { Array(bytes[($0 + 1)...]) } ?? []
    }

    override func matches(_ request: RequestContext, _ path: WAFPath, _ bodySize: Int) -> Bool {
        if matches(path.normal) { return true }
        guard let trimmed = path.withoutTrailingSlash else { return false }
        return matches(trimmed)
    }

    @inline(__always)
    private func matches(_ path: Substring) -> Bool {
        let utf8 = path.utf8
        guard utf8.count >= prefix.count + suffix.count, utf8.starts(with: prefix),
              suffix.isEmpty || utf8.reversed().starts(with: suffix.reversed()) else { return false }
        return regex.firstMatch(in: path)
    }
}

final class MethodMatcher: WAFMatcher, @unchecked Sendable {  // only `let`s of Sendable types
    let methods: [HTTPMethod]
    init(_ methods: [HTTPMethod]) { self.methods = methods }
    override func matches(_ request: RequestContext, _ path: WAFPath, _ bodySize: Int) -> Bool {
        methods.contains(request.head.method)
    }
}

/// Any header line with the (lowercased) name satisfying the test; `present` asks only whether there is one.
final class HeaderMatcher: WAFMatcher, @unchecked Sendable {  // only `let`s of Sendable types
    let name: String
    let test: FieldMatcher
    init(name: String, _ test: FieldMatcher) {
        self.name = name
        self.test = test
    }
    override func matches(_ request: RequestContext, _ path: WAFPath, _ bodySize: Int) -> Bool {
        if let wanted = test.presence { return request.head.headers.contains(name: name) == wanted }
        for (fieldName, value) in request.head.headers where fieldName.equalsASCIICaseInsensitive(name) {
            if test.accepts(Substring(value)) { return true }
        }
        return false
    }
}

/// Any occurrence of the parameter (names and values percent-decoded) satisfying the test.
final class QueryMatcher: WAFMatcher, @unchecked Sendable {  // only `let`s of Sendable types
    let name: String
    let test: FieldMatcher
    init(name: String, _ test: FieldMatcher) {
        self.name = name
        self.test = test
    }
    override func matches(_ request: RequestContext, _ path: WAFPath, _ bodySize: Int) -> Bool {
        guard let query = request.query, !query.isEmpty else { return test.presence == false }
        var present = false
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: "=")
            let rawName = equals.map { pair[..<$0] } ?? pair
            // An escape that does not decode is compared as sent: a malformed escape must not hide a parameter.
            let decodedName = PercentDecoding.decode(rawName).map { Substring($0) } ?? rawName
            guard decodedName.utf8.elementsEqual(name.utf8) else { continue }
            present = true
            if test.presence != nil { break }
            let rawValue = equals.map { pair[pair.index(after: $0)...] } ?? pair[pair.endIndex...]
            let value = PercentDecoding.decode(rawValue).map { Substring($0) } ?? rawValue
            if test.accepts(value) { return true }
        }
        if let wanted = test.presence { return present == wanted }
        return false
    }
}

/// A header or query test with its operand held in plain fields, so checking a value binds nothing.
final class FieldMatcher: Sendable {
    enum Kind { case equals, contains, regex, present }
    let kind: Kind
    /// The operand of `equals`/`contains`, lowercased when `ignoreCase`.
    let text: String
    let regex: ECMARegex?
    /// For `present` tests: whether the field must be there.
    let presence: Bool?
    let ignoreCase: Bool

    init(_ test: WAFCondition.FieldTest, ignoreCase: Bool = false) {
        self.ignoreCase = ignoreCase
        let operand: String
        switch test {
        case .equals(let value): (kind, operand, regex, presence) = (.equals, value, nil, nil)
        case .contains(let value): (kind, operand, regex, presence) = (.contains, value, nil, nil)
        case .regex(let compiled): (kind, operand, regex, presence) = (.regex, "", compiled, nil)
        case .present(let wanted): (kind, operand, regex, presence) = (.present, "", nil, wanted)
        }
        text = ignoreCase ? String(decoding: operand.utf8.map(Self.lower), as: UTF8.self) : operand
    }

    func accepts(_ value: Substring) -> Bool {
        switch kind {
        // Bytes, not Characters: what the upstream receives is bytes, and canonical equivalence must not decide.
        case .equals:
            return ignoreCase ? ASCIIBytes.equalIgnoringCase(value.utf8, text.utf8) : value.utf8.elementsEqual(text.utf8)
        case .contains:
            if text.isEmpty { return true }
            if !ignoreCase { return value.utf8.firstRange(of: text.utf8) != nil }
            return value.utf8.lazy.map(Self.lower).firstRange(of: text.utf8) != nil
        case .regex:
            if !ignoreCase { return regex!.firstMatch(in: value) }
            return regex!.firstMatch(in: String(decoding: value.utf8.map(Self.lower), as: UTF8.self))
        case .present:
            return true
        }
    }

    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
}

final class BodySizeMatcher: WAFMatcher, @unchecked Sendable {  // only `let`s of Sendable types
    let limit: Int
    init(_ limit: Int) { self.limit = limit }
    override func matches(_ request: RequestContext, _ path: WAFPath, _ bodySize: Int) -> Bool { bodySize > limit }
}

final class AllMatcher: WAFMatcher, @unchecked Sendable {  // only `let`s of Sendable types
    let parts: MatcherList
    init(_ parts: [WAFMatcher]) { self.parts = MatcherList(parts) }
    override func matches(_ request: RequestContext, _ path: WAFPath, _ bodySize: Int) -> Bool {
        for index in 0..<parts.count where !parts.matches(index, request, path, bodySize) { return false }
        return true
    }
}

final class AnyMatcher: WAFMatcher, @unchecked Sendable {  // only `let`s of Sendable types
    let parts: MatcherList
    init(_ parts: [WAFMatcher]) { self.parts = MatcherList(parts) }
    override func matches(_ request: RequestContext, _ path: WAFPath, _ bodySize: Int) -> Bool {
        for index in 0..<parts.count where parts.matches(index, request, path, bodySize) { return true }
        return false
    }
}

/// Matchers evaluated in a loop without a retain and release around every call: the strong array keeps them
/// alive for as long as the list exists, so the unmanaged copies can be used at +0.
struct MatcherList: Sendable {
    private let owned: [WAFMatcher]
    private let borrowed: [Unmanaged<WAFMatcher>]

    init(_ matchers: [WAFMatcher]) {
        owned = matchers
        borrowed = matchers.map { Unmanaged.passUnretained($0) }
    }

    var count: Int { borrowed.count }

    @inline(__always)
    func matches(_ index: Int, _ request: RequestContext, _ path: WAFPath, _ bodySize: Int) -> Bool {
        borrowed[index]._withUnsafeGuaranteedRef { $0.matches(request, path, bodySize) }
    }
}

final class NotMatcher: WAFMatcher, @unchecked Sendable {  // only `let`s of Sendable types
    let part: WAFMatcher
    init(_ part: WAFMatcher) { self.part = part }
    override func matches(_ request: RequestContext, _ path: WAFPath, _ bodySize: Int) -> Bool {
        !part.matches(request, path, bodySize)
    }
}
