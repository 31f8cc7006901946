import Crypto

/// Credentials for signing requests to AWS (contract: a function's `aws`).
public struct AWSCredentials: Sendable, Equatable {
    public let accessKeyId: String
    public let secretAccessKey: String
    /// For temporary credentials; sent and signed as `X-Amz-Security-Token`.
    public let sessionToken: String?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

/// AWS Signature Version 4, header-based (`function-protocols.md` A.7): what real Lambda requires of an Invoke.
public enum SigV4 {
    /// The headers to add to a request: `X-Amz-Date`, `X-Amz-Security-Token` when the credentials have one, and
    /// `Authorization`. `path` is the path as sent on the wire (already percent-encoded), `query` its pairs as
    /// sent, `headers` every header that is sent and signed (at least `host`).
    public static func sign(method: String, path: String, query: [(name: String, value: String)],
                            headers: [(name: String, value: String)], body: some Collection<UInt8>,
                            credentials: AWSCredentials, region: String, service: String,
                            epochSeconds: Int64) -> [(name: String, value: String)] {
        let amzDate = timestamp(epochSeconds)
        var added: [(name: String, value: String)] = [("X-Amz-Date", amzDate)]
        if let token = credentials.sessionToken { added.append(("X-Amz-Security-Token", token)) }
        let all = headers + added
        let signed = signedHeaders(all)
        let canonical = canonicalRequest(method: method, path: path, query: query, headers: all,
                                         payloadHash: hex(SHA256.hash(data: Array(body))))
        let scope = "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
        let toSign = stringToSign(amzDate: amzDate, scope: scope, canonicalRequest: canonical)
        let key = signingKey(secret: credentials.secretAccessKey, date: String(amzDate.prefix(8)), region: region,
                             service: service)
        let signature = hex(HMAC<SHA256>.authenticationCode(for: Array(toSign.utf8), using: key))
        added.append(("Authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), "
            + "SignedHeaders=\(signed), Signature=\(signature)"))
        return added
    }

    /// Step 2: method, canonical URI, canonical query, canonical headers, signed headers, payload hash.
    public static func canonicalRequest(method: String, path: String, query: [(name: String, value: String)],
                                        headers: [(name: String, value: String)], payloadHash: String) -> String {
        // Non-S3 services encode each segment of the (already encoded) path once more.
        let uri = path.isEmpty ? "/" : path.split(separator: "/", omittingEmptySubsequences: false)
            .map { uriEncode($0) }.joined(separator: "/")
        var pairs: [(name: String, value: String)] = query.map { (uriEncode($0.name), uriEncode($0.value)) }
        pairs.sort { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        let canonicalQuery = pairs.map { pair in pair.name + "=" + pair.value }.joined(separator: "&")
        var grouped: [String: [String]] = [:]
        for (name, value) in headers { grouped[name.lowercased(), default: []].append(normalize(value)) }
        let canonicalHeaders = grouped.keys.sorted().map { "\($0):\(grouped[$0]!.joined(separator: ","))\n" }.joined()
        return [method, uri, canonicalQuery, canonicalHeaders, signedHeaders(headers), payloadHash].joined(separator: "\n")
    }

    /// Step 3.
    public static func stringToSign(amzDate: String, scope: String, canonicalRequest: String) -> String {
        "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n" + hex(SHA256.hash(data: Array(canonicalRequest.utf8)))
    }

    static func signedHeaders(_ headers: [(name: String, value: String)]) -> String {
        Set(headers.map { $0.name.lowercased() }).sorted().joined(separator: ";")
    }

    /// Step 4: the HMAC chain from the secret to the day's signing key.
    static func signingKey(secret: String, date: String, region: String, service: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array(("AWS4" + secret).utf8))
        for part in [date, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    /// Leading and trailing spaces trimmed, inner runs of spaces collapsed to one.
    static func normalize(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            .trimmingASCIIWhitespace().description
    }

    /// RFC 3986 percent-encoding: only `A-Z a-z 0-9 - _ . ~` stay as they are.
    public static func uriEncode(_ text: some StringProtocol) -> String {
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                 UInt8(ascii: "~"):
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(ASCIIHex.upperDigit(byte >> 4))
                out.append(ASCIIHex.upperDigit(byte & 0xF))
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `YYYYMMDD'T'HHMMSS'Z'`.
    public static func timestamp(_ epochSeconds: Int64) -> String {
        let t = CivilDate.dateTime(epochSeconds: epochSeconds)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(t.year)\(two(t.month))\(two(t.day))T\(two(t.hour))\(two(t.minute))\(two(t.second))Z"
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String { ASCIIHex.lowercase(bytes) }
}
