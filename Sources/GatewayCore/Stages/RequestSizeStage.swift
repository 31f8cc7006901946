/// A body whose declared length is over `limits.maxBodySize` is refused before a byte of it is read (413, and the
/// connection closes: draining it would cost what the limit is there to prevent). A body without a declared
/// length is held to the same limit by the edge as it streams.
public struct RequestSizeStage: RequestStage {
    let maxBodySize: Int

    public init(maxBodySize: Int) {
        self.maxBodySize = maxBodySize
    }

    public var name: String { "request-size" }

    public func evaluate(_ request: inout RequestContext) -> StageVerdict {
        guard case .contentLength(let length) = request.framing, length > maxBodySize else { return .next }
        return .respond(.problem(.requestTooLarge, "request body of \(length) bytes exceeds the \(maxBodySize)-byte limit",
                                 requestId: request.requestId, connection: .close))
    }
}
