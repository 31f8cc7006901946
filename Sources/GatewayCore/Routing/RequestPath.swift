/// The request path as routing and the upstream must see it: RFC 3986 normalised, so that `/orders/../admin`,
/// `/orders/%2e%2e/admin` and `/%61dmin` cannot reach a route (or an upstream path) other than the one they name.
///
/// Percent-encoded unreserved characters are decoded (§6.2.2.2), then dot segments are removed (§5.2.4). A path
/// that climbs above `/`, and the escapes upstreams disagree on (`%2F`, `%5C`, `%00`, a raw `\`), are refused:
/// no upstream may read a different path than the one the gateway routed.
public enum RequestPath {
    public enum Rejection: Error, Equatable, Sendable {
        case climbsAboveRoot
        case encodedSlash
        case backslash
        case encodedNul
        case malformedEscape
        case dotSegmentWithParameters
        case fragment

        public var detail: String {
            switch self {
            case .climbsAboveRoot: "the request path climbs above the root with '..' segments"
            case .encodedSlash: "the request path contains an encoded slash (%2F), which is refused"
            case .backslash: "the request path contains a backslash (raw or %5C), which is refused"
            case .encodedNul: "the request path contains an encoded NUL (%00), which is refused"
            case .malformedEscape: "the request path contains a malformed percent-escape"
            case .dotSegmentWithParameters:
                "the request path has a '.' or '..' segment with ';' parameters, which some upstreams resolve"
            case .fragment: "the request target contains a fragment ('#')"
            }
        }
    }

    /// The normal form of a path, also when it already is one: config checks route literals and base paths with it
    /// (a literal that is not in normal form could never match a normalised request path).
    public static func normalForm(_ path: Substring) -> Result<String, Rejection> {
        normalize(path).map { $0 ?? String(path) }
    }

    /// `path` starts with `/` (an origin-form target's path).
    /// nil when `path` is already normal (the usual case: one scan, nothing allocated); otherwise the normal form.
    public static func normalize(_ path: Substring) -> Result<String?, Rejection> {
        var path = path
        return path.withUTF8 { bytes in
            switch scan(bytes) {
            case .normal: return .success(nil)
            case .rejected(let rejection): return .failure(rejection)
            case .needsRewrite: return rewrite(bytes).map { Optional($0) }
            }
        }
    }

    private enum ScanResult { case normal, needsRewrite, rejected(Rejection) }

    private static let slash = UInt8(ascii: "/")
    private static let dot = UInt8(ascii: ".")
    private static let percent = UInt8(ascii: "%")
    private static let backslashByte = UInt8(ascii: "\\")
    private static let semicolon = UInt8(ascii: ";")
    private static let hash = UInt8(ascii: "#")

    /// One pass: a backslash is refused at once; any escape or a `.`/`..` segment sends the path to `rewrite`.
    @inline(__always)
    private static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> ScanResult {
        var rewrite = false
        var segmentStart = 0
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == backslashByte { return .rejected(.backslash) }
            if byte == hash { return .rejected(.fragment) }
            if byte == percent { rewrite = true }
            if byte == slash {
                if isDotSegment(bytes, segmentStart..<i) { rewrite = true }
                segmentStart = i + 1
            }
            i += 1
        }
        if isDotSegment(bytes, segmentStart..<bytes.count) { rewrite = true }
        return rewrite ? .needsRewrite : .normal
    }

    /// `.`, `..`, or either followed by `;` parameters (refused later: Tomcat and others resolve `..;`).
    @inline(__always)
    private static func isDotSegment(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        guard !range.isEmpty, bytes[range.lowerBound] == dot else { return false }
        if range.count == 1 || bytes[range.lowerBound + 1] == semicolon { return true }
        return bytes[range.lowerBound + 1] == dot && (range.count == 2 || bytes[range.lowerBound + 2] == semicolon)
    }

    /// Decodes unreserved escapes, refuses the dangerous ones, then removes dot segments segment by segment.
    private static func rewrite(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<String, Rejection> {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            guard byte == percent else {
                decoded.append(byte)
                i += 1
                continue
            }
            guard i + 2 < bytes.count, let high = ASCIIHex.value(bytes[i + 1]), let low = ASCIIHex.value(bytes[i + 2]) else {
                return .failure(.malformedEscape)
            }
            let value = high << 4 | low
            switch value {
            case slash: return .failure(.encodedSlash)
            case backslashByte: return .failure(.backslash)
            case 0: return .failure(.encodedNul)
            default: break
            }
            if isUnreserved(value) {
                decoded.append(value)
            } else {
                // Kept escapes get upper-case hex (RFC 3986 §6.2.2.1), so `%c3%a9` and `%C3%A9` route alike.
                decoded.append(percent)
                decoded.append(upperHex(high))
                decoded.append(upperHex(low))
            }
            i += 3
        }
        return removeDotSegments(decoded).map { String(decoding: $0, as: UTF8.self) }
    }

    /// RFC 3986 §5.2.4 over "/"-separated segments (empty ones kept, as the path had them); `..` at the root fails.
    private static func removeDotSegments(_ path: [UInt8]) -> Result<[UInt8], Rejection> {
        var segments: [ArraySlice<UInt8>] = []
        var endsInDirectory = false
        let parts = path.split(separator: slash, omittingEmptySubsequences: false).dropFirst()
        for part in parts {
            endsInDirectory = false
            if let parameters = part.firstIndex(of: semicolon) {
                let name = part[..<parameters]
                if name.elementsEqual([dot]) || name.elementsEqual([dot, dot]) { return .failure(.dotSegmentWithParameters) }
            }
            if part.count == 1 && part.first == dot {
                endsInDirectory = true
            } else if part.count == 2 && part.first == dot && part.last == dot {
                guard !segments.isEmpty else { return .failure(.climbsAboveRoot) }
                segments.removeLast()
                endsInDirectory = true
            } else {
                segments.append(part)
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(path.count)
        for segment in segments {
            out.append(slash)
            out.append(contentsOf: segment)
        }
        if endsInDirectory || out.isEmpty { out.append(slash) }
        return .success(out)
    }

    @inline(__always)
    private static func upperHex(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : 0x41 + nibble - 10
    }

    /// ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 3986 §2.3): encoding them changes nothing, so they are decoded.
    @inline(__always)
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
             UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
