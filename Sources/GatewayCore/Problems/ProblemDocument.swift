/// An RFC 9457 problem body for a response the gateway makes itself.
public struct ProblemDocument: Sendable {
    /// The media type every gateway-made error response carries.
    public static let contentType = "application/problem+json"

    public let code: GatewayErrorCode
    public let detail: String
    public let requestId: String
    /// The response status: `code.status` unless overridden (e.g. WAF `blockStatus`).
    public let status: Int
    /// Extra members as (name, already-encoded JSON value), appended in order (e.g. admin `diagnostics`).
    public let extensions: [(String, String)]

    public init(code: GatewayErrorCode, detail: String, requestId: String, status: Int? = nil,
                extensions: [(String, String)] = []) {
        self.code = code
        self.detail = detail
        self.requestId = requestId
        self.status = status ?? code.status
        self.extensions = extensions
    }

    /// `title` is the reason phrase of the status actually sent, so an overridden status stays self-consistent.
    public var title: String { GatewayErrorCode.reasonPhrase(status) }

    /// The body bytes, members in a fixed order so responses are byte-for-byte reproducible.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + detail.utf8.count + requestId.utf8.count)
        out.append(contentsOf: #"{"type":"about:blank","title":"#.utf8)
        JSONEscaping.appendQuoted(title, to: &out)
        out.append(contentsOf: #","status":"#.utf8)
        out.append(contentsOf: String(status).utf8)
        out.append(contentsOf: #","code":"#.utf8)
        JSONEscaping.appendQuoted(code.rawValue, to: &out)
        out.append(contentsOf: #","detail":"#.utf8)
        JSONEscaping.appendQuoted(detail, to: &out)
        out.append(contentsOf: #","requestId":"#.utf8)
        JSONEscaping.appendQuoted(requestId, to: &out)
        for (name, value) in extensions {
            out.append(UInt8(ascii: ","))
            JSONEscaping.appendQuoted(name, to: &out)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: value.utf8)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
