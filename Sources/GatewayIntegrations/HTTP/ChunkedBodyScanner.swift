import GatewayCore
import NIOCore

/// Follows a chunked body (RFC 9112 §7.1) through raw bytes to find where it ends, so the bytes can be passed to
/// the client unchanged (no de-chunk and re-chunk); it can also report the payload ranges, for HTTP/1.0 clients.
///
/// As strict as llhttp (NIO's parser on the request side) in its default mode, because a lax reading of a
/// response's framing is how an upstream puts a keep-alive connection out of step:
/// - size line: `1*HEXDIG *( ";" token [ "=" ( token / quoted-string ) ] ) CRLF`. RFC 9112 also allows BWS
///   around `;` and `=`; llhttp refuses it and so does this scanner: no space or tab outside a quoted string.
/// - every line ends with CRLF: a bare LF or CR is an error (size line, after data, trailer lines, last line);
/// - a trailer line is `token ":" value`, the value without NUL, CR or LF, never folded;
/// - bounded: a size line of `maxSizeLineLength` bytes, a trailer section of `maxTrailerSectionSize`, a chunk
///   size below 2^60 (leading zeros are fine, an overflow is not).
public struct ChunkedBodyScanner: Sendable {
    /// Size line bytes including extensions and CRLF (llhttp has no bound; extensions are practically unused).
    public static let maxSizeLineLength = 4096
    /// Trailer field lines plus the final empty line.
    public static let maxTrailerSectionSize = 16 * 1024

    enum State: Sendable, Equatable {
        case size(value: Int, digits: Int)
        /// After `;`: an extension name must start.
        case extensionNameStart
        case extensionName
        /// After `=`: a token or a quoted string must start.
        case extensionValueStart
        case extensionToken
        case extensionQuoted
        case extensionQuotedPair
        /// After a quoted string's closing quote: only `;` or CR may follow.
        case extensionQuotedEnd
        case sizeLF
        case data(remaining: Int)
        case dataCR
        case dataLF
        case trailerLineStart
        case trailerName
        case trailerValue
        case trailerLF
        case finalLF
        case done
    }

    private(set) var state = State.size(value: 0, digits: 0)
    private var lastChunk = false
    private var pendingSize = 0
    /// Bytes of the current size line so far, or of the trailer section so far.
    private var lineBytes = 0

    public init() {}

    public var isFinished: Bool { state == .done }

    /// Scans `view`; returns the offset just past the body's end when it ends inside `view`, else nil (all of
    /// `view` belongs to the body). `payload` receives the offsets of chunk data, in order.
    public mutating func scan(_ view: ByteBufferView, payload: ((Range<Int>) -> Void)? = nil) throws(UpstreamProtocolError) -> Int? {
        let base = view.startIndex
        let count = view.count
        var i = 0
        while i < count {
            let b = view[base + i]
            switch state {
            case .data(let remaining):
                let n = min(remaining, count - i)
                payload?(i..<(i + n))
                i += n
                state = remaining - n == 0 ? .dataCR : .data(remaining: remaining - n)
                continue
            case .size(let value, let digits):
                try countSizeLineByte()
                if let d = ASCIIHex.value(b).map(Int.init) {
                    // Below 2^56 before the shift keeps every size below 2^60, whatever the leading zeros.
                    guard value < 1 << 56 else { throw UpstreamProtocolError(message: "chunk size too large") }
                    state = .size(value: value << 4 | d, digits: digits + 1)
                } else {
                    guard digits > 0 else { throw UpstreamProtocolError(message: "invalid chunk size") }
                    lastChunk = value == 0
                    pendingSize = value
                    if b == 13 {
                        state = .sizeLF
                    } else if b == 59 {
                        state = .extensionNameStart
                    } else {
                        // Bare LF, or whitespace (BWS) and whatever follows it.
                        throw UpstreamProtocolError(message: "invalid chunk size")
                    }
                }
            case .extensionNameStart:
                try countSizeLineByte()
                guard UpstreamResponseHeadParser.isTokenByte(b) else { throw Self.invalidExtension }
                state = .extensionName
            case .extensionName:
                try countSizeLineByte()
                if b == 59 {
                    state = .extensionNameStart
                } else if b == 61 {
                    state = .extensionValueStart
                } else if b == 13 {
                    state = .sizeLF
                } else if !UpstreamResponseHeadParser.isTokenByte(b) {
                    throw Self.invalidExtension
                }
            case .extensionValueStart:
                try countSizeLineByte()
                if b == 34 {
                    state = .extensionQuoted
                } else if UpstreamResponseHeadParser.isTokenByte(b) {
                    state = .extensionToken
                } else {
                    throw Self.invalidExtension
                }
            case .extensionToken:
                try countSizeLineByte()
                if b == 59 {
                    state = .extensionNameStart
                } else if b == 13 {
                    state = .sizeLF
                } else if !UpstreamResponseHeadParser.isTokenByte(b) {
                    throw Self.invalidExtension
                }
            case .extensionQuoted:
                try countSizeLineByte()
                if b == 34 {
                    state = .extensionQuotedEnd
                } else if b == 92 {
                    state = .extensionQuotedPair
                } else if !Self.isQuotedText(b) {
                    throw Self.invalidExtension
                }
            case .extensionQuotedPair:
                try countSizeLineByte()
                // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
                guard b == 9 || b >= 32 && b != 127 else { throw Self.invalidExtension }
                state = .extensionQuoted
            case .extensionQuotedEnd:
                try countSizeLineByte()
                if b == 59 {
                    state = .extensionNameStart
                } else if b == 13 {
                    state = .sizeLF
                } else {
                    throw Self.invalidExtension
                }
            case .sizeLF:
                guard b == 10 else { throw UpstreamProtocolError(message: "missing LF after chunk size") }
                lineBytes = 0
                state = lastChunk ? .trailerLineStart : .data(remaining: pendingSize)
            case .dataCR:
                guard b == 13 else { throw UpstreamProtocolError(message: "missing CRLF after chunk data") }
                state = .dataLF
            case .dataLF:
                guard b == 10 else { throw UpstreamProtocolError(message: "missing CRLF after chunk data") }
                state = .size(value: 0, digits: 0)
            case .trailerLineStart:
                try countTrailerByte()
                if b == 13 {
                    state = .finalLF
                } else if UpstreamResponseHeadParser.isTokenByte(b) {
                    state = .trailerName
                } else {
                    // A bare LF, obs-fold (SP or HTAB) or an empty field name.
                    throw Self.invalidTrailer
                }
            case .trailerName:
                try countTrailerByte()
                if b == 58 {
                    state = .trailerValue
                } else if !UpstreamResponseHeadParser.isTokenByte(b) {
                    throw Self.invalidTrailer
                }
            case .trailerValue:
                try countTrailerByte()
                if b == 13 {
                    state = .trailerLF
                } else if b == 10 || b == 0 {
                    throw Self.invalidTrailer
                }
            case .trailerLF:
                try countTrailerByte()
                guard b == 10 else { throw Self.invalidTrailer }
                state = .trailerLineStart
            case .finalLF:
                guard b == 10 else { throw UpstreamProtocolError(message: "missing final CRLF") }
                state = .done
                return i + 1
            case .done:
                return i
            }
            i += 1
        }
        return nil
    }

    private mutating func countSizeLineByte() throws(UpstreamProtocolError) {
        lineBytes += 1
        // Counts through the CR; `<` leaves room for the LF, so the whole line is at most the bound.
        guard lineBytes < Self.maxSizeLineLength else { throw UpstreamProtocolError(message: "chunk size line too long") }
    }

    /// Counts through the final CR; `<` leaves room for the final LF.
    private mutating func countTrailerByte() throws(UpstreamProtocolError) {
        lineBytes += 1
        guard lineBytes < Self.maxTrailerSectionSize else { throw UpstreamProtocolError(message: "trailer section too large") }
    }

    /// qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text (the quote and backslash are handled by the caller).
    private static func isQuotedText(_ b: UInt8) -> Bool {
        b == 9 || b >= 32 && b != 127
    }

    private static let invalidExtension = UpstreamProtocolError(message: "invalid chunk extension")
    private static let invalidTrailer = UpstreamProtocolError(message: "invalid trailer line")
}
