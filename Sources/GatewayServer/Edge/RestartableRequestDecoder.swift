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

    /// Whether a request may be one after which llhttp stops parsing (it carries an `Upgrade` header; CONNECT is
    /// refused and closed anyway). A cheap first test; `hasStoppedParsing` decides.
    static func mayStopParsing(after head: HTTPRequestHead) -> Bool {
        head.method == .CONNECT || head.headers.contains(name: "upgrade")
    }

    /// Reads NIO's decoder's own `stopParsing` flag: llhttp's upgrade rule (an `Upgrade` header plus an `upgrade`
    /// token in `Connection`, parsed with its own whitespace rules) is not re-implemented here, so nothing can
    /// disagree with it. Runs only after a request that carried `Upgrade`. If NIO ever renames the field this
    /// answers false: no restart, and the connection ends by its idle timeout instead (tests catch that).
    static func hasStoppedParsing(_ decoder: HTTPRequestDecoder) -> Bool {
        Mirror(reflecting: decoder).children.first { $0.label == "stopParsing" }?.value as? Bool ?? false
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
        // Only a decoder that really stopped is replaced: one that went on parsing may hold part of the next
        // request, and a fresh decoder would read the rest of it as a request of its own (a desync).
        guard Self.hasStoppedParsing(decoder) else { return .needMoreData }
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
