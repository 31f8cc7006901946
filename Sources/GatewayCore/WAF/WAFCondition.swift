import JSONSchema
import NIOHTTP1

/// One compiled match condition of a WAF rule (contract: `waf.rules[].match`).
///
/// Globs and regexes are compiled when the config loads, into the project's linear-time regex engine, so no request
/// can make a condition backtrack. Paths are matched in their normal form (`RequestContext.path`: unreserved escapes
/// decoded, dot segments and duplicate slashes removed), so `/%61dmin/../admin//x` is `/admin/x` here too.
public indirect enum WAFCondition: Sendable {
    case ipSet(name: String, CIDRSet)
    /// A glob (`*` one segment or part of one, `**` anything) compiled to an anchored regex.
    case path(glob: String, ECMARegex)
    case pathRegex(ECMARegex)
    case method([HTTPMethod])
    case header(name: String, FieldTest)
    case query(name: String, FieldTest)
    /// True when the body is larger than this many bytes (see `BodySize` for bodies of unknown length).
    case bodySizeOver(Int)
    case all([WAFCondition])
    case any([WAFCondition])
    case not(WAFCondition)

    /// What a header or query condition asks of the field's values; any one value (header line, query pair)
    /// satisfying it is enough, so a second header line or a repeated parameter cannot hide a match.
    public enum FieldTest: Sendable {
        case equals(String)
        case contains(String)
        case regex(ECMARegex)
        case present(Bool)
    }

    /// A `method` condition from method names as configured ("POST").
    public static func methods(_ names: [String]) -> WAFCondition {
        .method(names.map { HTTPMethod(rawValue: $0) })
    }

    /// `bodySize` is the declared length, or what is known so far of a body of unknown length (0 at head time).
    public func matches(_ request: RequestContext, path: WAFPath, bodySize: Int) -> Bool {
        switch self {
        case .ipSet(_, let set):
            return set.contains(request.clientIP)
        case .path(_, let regex), .pathRegex(let regex):
            return regex.firstMatch(in: path.normal) || path.withoutTrailingSlash.map(regex.firstMatch(in:)) == true
        case .method(let methods):
            return methods.contains(request.head.method)
        case .header(let name, let test):
            return Self.headerMatches(request.head.headers, name: name, test)
        case .query(let name, let test):
            return Self.queryMatches(request.query, name: name, test)
        case .bodySizeOver(let limit):
            return bodySize > limit
        case .all(let conditions):
            for condition in conditions where !condition.matches(request, path: path, bodySize: bodySize) { return false }
            return true
        case .any(let conditions):
            for condition in conditions where condition.matches(request, path: path, bodySize: bodySize) { return true }
            return false
        case .not(let condition):
            return !condition.matches(request, path: path, bodySize: bodySize)
        }
    }

    /// Every `bodySizeOver` threshold inside, sorted: the sizes at which the condition's answer can change.
    public var bodySizeThresholds: [Int] {
        var found: [Int] = []
        collectThresholds(&found)
        return Array(Set(found)).sorted()
    }

    private func collectThresholds(_ found: inout [Int]) {
        switch self {
        case .bodySizeOver(let limit): found.append(limit)
        case .all(let conditions), .any(let conditions): for c in conditions { c.collectThresholds(&found) }
        case .not(let condition): condition.collectThresholds(&found)
        default: break
        }
    }

    private static func headerMatches(_ headers: HTTPHeaders, name: String, _ test: FieldTest) -> Bool {
        if case .present(let wanted) = test {
            return headers.contains(name: name) == wanted
        }
        for (fieldName, value) in headers where fieldName.equalsASCIICaseInsensitive(name) {
            if test.accepts(Substring(value)) { return true }
        }
        return false
    }

    private static func queryMatches(_ query: Substring?, name: String, _ test: FieldTest) -> Bool {
        guard let query, !query.isEmpty else {
            if case .present(let wanted) = test { return !wanted }
            return false
        }
        var present = false
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: "=")
            let rawName = equals.map { pair[..<$0] } ?? pair
            // An escape that does not decode is compared as sent: a malformed escape must not hide a parameter.
            let decodedName = PercentDecoding.decode(rawName).map { Substring($0) } ?? rawName
            guard decodedName.utf8.elementsEqual(name.utf8) else { continue }
            present = true
            if case .present = test { break }
            let rawValue = equals.map { pair[pair.index(after: $0)...] } ?? pair[pair.endIndex...]
            let value = PercentDecoding.decode(rawValue).map { Substring($0) } ?? rawValue
            if test.accepts(value) { return true }
        }
        if case .present(let wanted) = test { return present == wanted }
        return false
    }
}

extension WAFCondition.FieldTest {
    func accepts(_ value: Substring) -> Bool {
        switch self {
        // Bytes, not Characters: what the upstream receives is bytes, and canonical equivalence must not decide.
        case .equals(let expected): return value.utf8.elementsEqual(expected.utf8)
        case .contains(let part): return part.isEmpty || value.utf8.firstRange(of: part.utf8) != nil
        case .regex(let regex): return regex.firstMatch(in: value)
        case .present: return true
        }
    }
}

/// The request path as WAF rules see it: the edge's normal form (escapes of unreserved characters decoded, dot
/// segments removed) with runs of slashes collapsed, which upstreams commonly treat as one. A trailing slash does
/// not escape a rule either: `/admin/x/` is also tried as `/admin/x`.
public struct WAFPath {
    public let normal: Substring
    public let withoutTrailingSlash: Substring?

    public init(_ path: Substring) {
        var normal = path
        if path.utf8.count > 1, path.utf8.contains(UInt8(ascii: "/")) {
            var previousSlash = false
            var hasRun = false
            for byte in path.utf8 {
                if byte == UInt8(ascii: "/"), previousSlash {
                    hasRun = true
                    break
                }
                previousSlash = byte == UInt8(ascii: "/")
            }
            if hasRun {
                var collapsed = ""
                collapsed.reserveCapacity(path.utf8.count)
                previousSlash = false
                for scalar in path.unicodeScalars {
                    if scalar == "/", previousSlash { continue }
                    previousSlash = scalar == "/"
                    collapsed.unicodeScalars.append(scalar)
                }
                normal = Substring(collapsed)
            }
        }
        self.normal = normal
        withoutTrailingSlash = normal.utf8.count > 1 && normal.utf8.last == UInt8(ascii: "/") ? normal.dropLast() : nil
    }
}
