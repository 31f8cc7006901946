import GatewayCore
import NIOCore

/// Follows a chunked body through raw bytes to find where it ends, so the bytes can be passed to the client
/// unchanged (no de-chunk and re-chunk); it can also report the payload ranges, for HTTP/1.0 clients.
/// Strict: bad hex, missing CRLF after data, or a size past 2^60 is a protocol error (a desync risk otherwise).
public struct ChunkedBodyScanner: Sendable {
    enum State: Sendable, Equatable {
        case size(value: Int, digits: Int)
        case extensionBytes
        case sizeLF
        case data(remaining: Int)
        case dataCR
        case dataLF
        case trailerLineStart
        case trailerLine
        case trailerLF
        case finalLF
        case done
    }

    private(set) var state = State.size(value: 0, digits: 0)
    private var lastChunk = false

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
            case .size(let value, let digits):
                if let d = ASCIIHex.value(b).map(Int.init) {
                    guard digits < 15 else { throw UpstreamProtocolError(message: "chunk size too large") }
                    state = .size(value: value << 4 | d, digits: digits + 1)
                } else {
                    guard digits > 0 else { throw UpstreamProtocolError(message: "invalid chunk size") }
                    lastChunk = value == 0
                    if b == 13 {
                        state = .sizeLF
                    } else if b == 59 || b == 32 || b == 9 {
                        state = .extensionBytes
                    } else {
                        throw UpstreamProtocolError(message: "invalid chunk size")
                    }
                    if !lastChunk { pendingSize = value }
                }
                i += 1
            case .extensionBytes:
                if b == 13 { state = .sizeLF } else if b == 10 || b == 0 {
                    throw UpstreamProtocolError(message: "invalid chunk extension")
                }
                i += 1
            case .sizeLF:
                guard b == 10 else { throw UpstreamProtocolError(message: "missing LF after chunk size") }
                state = lastChunk ? .trailerLineStart : .data(remaining: pendingSize)
                i += 1
            case .data(let remaining):
                let n = min(remaining, count - i)
                payload?(i..<(i + n))
                i += n
                state = remaining - n == 0 ? .dataCR : .data(remaining: remaining - n)
            case .dataCR:
                guard b == 13 else { throw UpstreamProtocolError(message: "missing CRLF after chunk data") }
                state = .dataLF
                i += 1
            case .dataLF:
                guard b == 10 else { throw UpstreamProtocolError(message: "missing CRLF after chunk data") }
                state = .size(value: 0, digits: 0)
                i += 1
            case .trailerLineStart:
                state = b == 13 ? .finalLF : .trailerLine
                i += 1
            case .trailerLine:
                if b == 13 { state = .trailerLF } else if b == 10 || b == 0 {
                    throw UpstreamProtocolError(message: "invalid trailer line")
                }
                i += 1
            case .trailerLF:
                guard b == 10 else { throw UpstreamProtocolError(message: "invalid trailer line") }
                state = .trailerLineStart
                i += 1
            case .finalLF:
                guard b == 10 else { throw UpstreamProtocolError(message: "missing final CRLF") }
                state = .done
                return i + 1
            case .done:
                return i
            }
        }
        return nil
    }

    private var pendingSize = 0
}
