import GatewayCore
import NIOHTTP1

/// Framing and target checks the HTTP decoder does not make, each closing a request-smuggling door.
///
/// llhttp already refuses obs-fold, bad header bytes and CL+TE conflicts; these add the gateway's own rules
/// (RFC 9112 §6.3, §3.2, §3.2.2) so an upstream behind us can never disagree on where a request ends.
enum RequestHeadValidator {
    struct Rejection: Error, Equatable {
        let code: GatewayErrorCode
        let detail: String
    }

    /// The request's body framing once validated.
    typealias BodyFraming = RequestBodyFraming

    struct Accepted: Equatable {
        let framing: BodyFraming
        /// The path and query from an origin-form or (same-host) absolute-form target.
        let target: Substring
        let host: Substring?
        /// Found in the same scan so the request path reads the header list once.
        var requestId: String? = nil
        var expect: String? = nil
    }

    static func validate(_ head: HTTPRequestHead) -> Result<Accepted, Rejection> {
        // Framing: exactly one well-formed Content-Length, or Transfer-Encoding that is exactly "chunked".
        var contentLength: Int?
        var transferEncodings = 0
        var hostValue: Substring?
        var hostCount = 0
        var chunked = false
        var requestId: String?
        var expect: String?
        for (name, value) in head.headers {
            if name.utf8.count == 14 && name.equalsASCIICaseInsensitive("content-length") {
                guard contentLength == nil else {
                    return .failure(Rejection(code: .badRequest, detail: "multiple Content-Length headers"))
                }
                guard let length = parseContentLength(value) else {
                    return .failure(Rejection(code: .badRequest, detail: "invalid Content-Length"))
                }
                contentLength = length
            } else if name.utf8.count == 17 && name.equalsASCIICaseInsensitive("transfer-encoding") {
                transferEncodings += 1
                let coding = value.trimmingASCIIWhitespace()
                guard transferEncodings == 1, coding.equalsASCIICaseInsensitive("chunked") else {
                    return .failure(Rejection(code: .badRequest, detail: "unsupported Transfer-Encoding (only \"chunked\" is accepted)"))
                }
                chunked = true
            } else if name.utf8.count == 4 && name.equalsASCIICaseInsensitive("host") {
                hostCount += 1
                hostValue = Substring(value)
            } else if name.utf8.count == 12 && requestId == nil && name.equalsASCIICaseInsensitive("x-request-id") {
                requestId = value
            } else if name.utf8.count == 6 && expect == nil && name.equalsASCIICaseInsensitive("expect") {
                expect = value
            } else if name.utf8.count == 10 && name.equalsASCIICaseInsensitive("connection"),
                      let nominated = nominatedProtectedHeader(value) {
                return .failure(Rejection(code: .badRequest,
                                          detail: "Connection must not nominate \(nominated), which the gateway relies on"))
            }
            if ASCIIBytes.contains(UInt8(ascii: "_"), in: name), let original = underscoreLookalike(name) {
                return .failure(Rejection(code: .badRequest,
                                          detail: "header \(name) would be read as \(original) by some upstreams"))
            }
        }
        if chunked && contentLength != nil {
            return .failure(Rejection(code: .badRequest, detail: "both Content-Length and Transfer-Encoding"))
        }
        if chunked && head.version.minor == 0 && head.version.major == 1 {
            return .failure(Rejection(code: .badRequest, detail: "Transfer-Encoding in an HTTP/1.0 request"))
        }
        if hostCount > 1 {
            return .failure(Rejection(code: .badRequest, detail: "multiple Host headers"))
        }
        if hostCount == 0 && head.version.major == 1 && head.version.minor >= 1 {
            return .failure(Rejection(code: .badRequest, detail: "missing Host header"))
        }
        let framing: BodyFraming = chunked ? .chunked : contentLength.map { $0 == 0 ? .none : .contentLength($0) } ?? .none

        // CONNECT asks for a tunnel, which a gateway never opens; llhttp also stops parsing after one.
        if head.method == .CONNECT {
            return .failure(Rejection(code: .badRequest, detail: "CONNECT is not supported"))
        }
        // Target: origin-form, or absolute-form naming this same host (RFC 9112 §3.2.2). A fragment is never sent
        // by clients; URL parsers upstream would cut the path or query there, so it is refused.
        let uri = Substring(head.uri)
        if uri.utf8.contains(UInt8(ascii: "#")) {
            return .failure(Rejection(code: .badRequest, detail: "request target contains a fragment (#)"))
        }
        if uri.utf8.first == UInt8(ascii: "/") {
            return .success(Accepted(framing: framing, target: uri, host: hostValue, requestId: requestId, expect: expect))
        }
        guard let schemeEnd = uri.range(of: "://"),
              uri[..<schemeEnd.lowerBound].equalsASCIICaseInsensitive("http")
                || uri[..<schemeEnd.lowerBound].equalsASCIICaseInsensitive("https") else {
            return .failure(Rejection(code: .badRequest, detail: "request target must be origin-form or absolute-form"))
        }
        let afterScheme = uri[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        guard let hostValue, !authority.isEmpty, authority.equalsASCIICaseInsensitive(hostValue) else {
            return .failure(Rejection(code: .badRequest, detail: "absolute-form target names a different host than the Host header"))
        }
        var rest = afterScheme[authorityEnd...]
        if rest.isEmpty || rest.first == "?" { rest = "/" + rest }
        return .success(Accepted(framing: framing, target: rest, host: hostValue, requestId: requestId, expect: expect))
    }

    /// Headers that decide framing, routing, identity or validation here: a `Connection` header nominating one
    /// would make the gateway drop it upstream after relying on it (a body forwarded without the Content-Length
    /// that framed it is read upstream as the next request). Refused, never stripped.
    static let connectionProtected = ["content-length", "transfer-encoding", "host", "content-type", "expect",
                                      "x-request-id", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
                                      "forwarded", "x-api-key"]

    /// Framing, hop-by-hop and gateway-set names that CGI-style upstreams (PHP, WSGI, Rack) would also find under
    /// an `_` spelling, since they map `-` and `_` to the same variable.
    static let underscoreSensitive = ["content-length", "transfer-encoding", "keep-alive", "proxy-connection",
                                      "x-request-id", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
                                      "content-type", "x-api-key"]

    /// The first protected name among a `Connection` value's comma-separated tokens, if any.
    static func nominatedProtectedHeader(_ value: String) -> Substring? {
        var found: Substring?
        ForwardingHeaders.forEachConnectionToken(value) { token in
            if ForwardingHeaders.isListed(token, connectionProtected) { found = token }
            return found == nil
        }
        return found
    }

    /// The sensitive name `name` spells with `_` for `-` (`Content_Length` → content-length), if any.
    static func underscoreLookalike(_ name: String) -> String? {
        let length = name.utf8.count
        for candidate in underscoreSensitive where candidate.utf8.count == length {
            let same = zip(name.utf8, candidate.utf8).allSatisfy { have, want in
                let folded = have == UInt8(ascii: "_") ? UInt8(ascii: "-") : (have >= 0x41 && have <= 0x5A ? have | 0x20 : have)
                return folded == want
            }
            if same { return candidate }
        }
        return nil
    }

    static func parseContentLength(_ value: String) -> Int? {
        let utf8 = value.utf8
        guard !utf8.isEmpty, utf8.count <= 18 else { return nil }
        var result = 0
        for byte in utf8 {
            guard byte >= 48 && byte <= 57 else { return nil }
            result = result * 10 + Int(byte - 48)
        }
        return result
    }
}
