import NIOCore
import NIOHTTP2

/// The HTTP/2 limits clients get, as nginx sets them, plus NIO's abuse defences made explicit: a stream-reset
/// rate limit against rapid reset (CVE-2023-44487) and a cap on CONTINUATION frames against header floods.
enum HTTP2Limits {
    /// nginx's `http2_max_concurrent_streams` default.
    static let maxConcurrentStreams = 128
    /// Inbound RST_STREAMs tolerated per window before the connection gets GOAWAY (ENHANCE_YOUR_CALM).
    static let maxResetFrames = 200
    static let resetWindow = TimeAmount.seconds(30)
    /// A header block may span at most this many CONTINUATION frames; more is a flood, not a request.
    static let maxContinuationFrames = 5

    static func connection(maxHeaderListSize: Int) -> NIOHTTP2Handler.ConnectionConfiguration {
        var configuration = NIOHTTP2Handler.ConnectionConfiguration()
        configuration.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: maxConcurrentStreams),
            // Same bound as HTTP/1.1's head size; HPACK decoding enforces it, with CONTINUATIONs counted in.
            HTTP2Setting(parameter: .maxHeaderListSize, value: maxHeaderListSize),
        ]
        configuration.maximumSequentialContinuationFrames = maxContinuationFrames
        // A connection window larger than one stream's, so concurrent uploads do not starve each other.
        configuration.targetWindowSize = 1 << 20
        return configuration
    }

    static func stream() -> NIOHTTP2Handler.StreamConfiguration {
        var configuration = NIOHTTP2Handler.StreamConfiguration()
        configuration.streamResetFrameRateLimit.maximumCount = maxResetFrames
        configuration.streamResetFrameRateLimit.windowLength = resetWindow
        // Room for a few upstream reads before the stream reports unwritable and upstream reads pause.
        configuration.outboundBufferSizeHighWatermark = 64 * 1024
        configuration.outboundBufferSizeLowWatermark = 16 * 1024
        return configuration
    }
}
