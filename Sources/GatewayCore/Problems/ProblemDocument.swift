/// An RFC 9457 problem body for a response the gateway makes itself.
public struct ProblemDocument: Sendable {
    public let code: GatewayErrorCode
    public let detail: String
    public let requestId: String
    public let status: Int
    /// Extra members as (name, already-encoded JSON value), appended in order.
    public let extensions: [(String, String)]

    public init(code: GatewayErrorCode, detail: String, requestId: String, status: Int? = nil,
                extensions: [(String, String)] = []) {
        self.code = code
        self.detail = detail
        self.requestId = requestId
        self.status = status ?? code.status
        self.extensions = extensions
    }

    public func encoded() -> [UInt8] { [] }
}
