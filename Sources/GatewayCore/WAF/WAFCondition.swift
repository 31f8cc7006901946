import JSONSchema
import NIOHTTP1

/// One match condition of a WAF rule as configured (contract: `waf.rules[].match`); `WAFMatcher` is the form the
/// stage evaluates.
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
    /// `ignoreCase`: letters compare without regard to ASCII case (a regex sees the value in lower case).
    case header(name: String, FieldTest, ignoreCase: Bool = false)
    case query(name: String, FieldTest, ignoreCase: Bool = false)
    /// True when the body is larger than this many bytes (`WAFStage` says how bodies of unknown length are judged).
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
}

/// The request path as WAF rules see it: the edge's normal form (escapes of unreserved characters decoded, dot
/// segments removed) with runs of slashes collapsed, which upstreams commonly treat as one. A trailing slash does
/// not escape a rule either: `/admin/x/` is also tried as `/admin/x`.
public struct WAFPath {
    public let normal: Substring
    public let withoutTrailingSlash: Substring?

    public init(_ path: Substring) {
        var normal = path
        var bytes = path
        let hasRun = bytes.withUTF8 { utf8 -> Bool in
            guard utf8.count > 1 else { return false }
            for i in 1..<utf8.count where utf8[i] == UInt8(ascii: "/") && utf8[i - 1] == UInt8(ascii: "/") { return true }
            return false
        }
        if hasRun {
            var collapsed = ""
            collapsed.reserveCapacity(path.utf8.count)
            var previousSlash = false
            for scalar in path.unicodeScalars {
                if scalar == "/", previousSlash { continue }
                previousSlash = scalar == "/"
                collapsed.unicodeScalars.append(scalar)
            }
            normal = Substring(collapsed)
        }
        self.normal = normal
        withoutTrailingSlash = normal.utf8.count > 1 && normal.utf8.last == UInt8(ascii: "/") ? normal.dropLast() : nil
    }
}
