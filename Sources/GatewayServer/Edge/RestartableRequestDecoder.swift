import NIOCore
import NIOHTTP1

/// NIO's HTTP/1.1 request decoder, replaced by a fresh one after a request that offered an upgrade.
///
/// llhttp stops parsing after a request with `Connection: Upgrade` + `Upgrade` (or CONNECT), expecting the
/// connection to switch protocols; the gateway never switches (it answers such a request as an ordinary one, as
/// RFC 9110 §7.8 allows), so without a restart the next request would never be parsed and its bytes would pile up.
final class RestartableRequestDecoder: ByteToMessageDecoder {
    typealias InboundOut = HTTPServerRequestPart

    private let limits: NIOHTTPDecoderLimitConfiguration
    private var decoder: HTTPRequestDecoder
    private var restartRequested = false

    init(limits: NIOHTTPDecoderLimitConfiguration) {
        self.limits = limits
        self.decoder = Self.makeDecoder(limits)
    }

    private static func makeDecoder(_ limits: NIOHTTPDecoderLimitConfiguration) -> HTTPRequestDecoder {
        HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop,
                           limitConfiguration: limits)
    }

    /// Called (synchronously, from the `.end` this decoder just emitted) when the request that ended offered an
    /// upgrade: the bytes after it are parsed by a new decoder.
    func restartAfterCurrentMessage() {
        restartRequested = true
    }

    /// Whether llhttp treats a request as the last one before a protocol switch (it stops parsing after it).
    static func stopsParsing(after head: HTTPRequestHead) -> Bool {
        head.method == .CONNECT || head.headers.contains(name: "upgrade")
    }

    func decoderAdded(context: ChannelHandlerContext) {
        decoder.decoderAdded(context: context)
    }

    func decoderRemoved(context: ChannelHandlerContext) {
        decoder.decoderRemoved(context: context)
    }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        _ = try decoder.decode(context: context, buffer: &buffer)
        guard restartRequested else { return .needMoreData }
        restartRequested = false
        decoder.decoderRemoved(context: context)
        decoder = Self.makeDecoder(limits)
        decoder.decoderAdded(context: context)
        return buffer.readableBytes > 0 ? .continue : .needMoreData
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while buffer.readableBytes > 0, try decode(context: context, buffer: &buffer) == .continue {}
        return try decoder.decodeLast(context: context, buffer: &buffer, seenEOF: seenEOF)
    }
}
