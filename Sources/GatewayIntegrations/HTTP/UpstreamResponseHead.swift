import GatewayCore
import NIOCore

/// An upstream response head parsed in place: the raw bytes plus the ranges the gateway needs, so it can
/// copy the header lines it keeps straight into the client's response instead of decoding to Strings and
/// re-encoding (the HTTP codec round trip was the largest user-space cost per proxied request).
public struct UpstreamResponseHead {
    public enum BodyFraming: Equatable, Sendable {
        case none
        case contentLength(Int)
        case chunked
        /// No framing: the body runs until the upstream closes.
        case untilClose
    }

    /// The whole head including the final empty line.
    public let bytes: ByteBuffer
    public let status: Int
    /// The status code and reason phrase as sent ("200 OK"), from the status line.
    public let statusText: Range<Int>
    /// Each header line without its CRLF, with the name's length; offsets are into `bytes.readableBytesView`.
    public let lines: [(line: Range<Int>, nameLength: Int)]
    public let framing: BodyFraming
    /// The upstream allows reusing the connection after this response.
    public let keepAlive: Bool
    /// Header names listed in `Connection` (lowercased), hop-by-hop by nomination.
    public let connectionTokens: [String]

    /// The first value of a header (by lower-case name), without surrounding whitespace: for the few fields a
    /// caller reads itself (an Invoke API reply's error headers), not for forwarding.
    public func value(of lowercaseName: String) -> String? {
        let view = bytes.readableBytesView
        let base = view.startIndex
        let name = Array(lowercaseName.utf8)
        for (line, nameLength) in lines where nameLength == name.count {
            var matches = true
            for k in 0..<nameLength where (view[base + line.lowerBound + k] | 0x20) != (name[k] | 0x20) {
                matches = false
                break
            }
            guard matches else { continue }
            let value = UpstreamResponseHeadParser.trimmed(view, line.lowerBound + nameLength + 1, line.upperBound)
            return String(decoding: view[(base + value.lowerBound)..<(base + value.upperBound)], as: UTF8.self)
        }
        return nil
    }
}

/// Errors in an upstream response that make the connection unusable.
public struct UpstreamProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Parses an HTTP/1.x response head. Strict where a lax parse could let an upstream smuggle a second
/// response or split headers toward the client: bare CR, NUL, obs-fold, conflicting framing are refused.
public enum UpstreamResponseHeadParser {
    public static let maxHeadSize = 64 * 1024

    /// Index just past the head's terminating CRLFCRLF in `view`, scanning from `from`, or nil if incomplete.
    public static func headEnd(in view: ByteBufferView, from: Int) -> Int? {
        let base = view.startIndex
        var i = max(base + from, base + 3)
        let end = view.endIndex
        while i < end {
            if view[i] == 10 && view[i - 1] == 13 && view[i - 2] == 10 && view[i - 3] == 13 { return i + 1 - base }
            i += 1
        }
        return nil
    }

    /// `head` is exactly the head's bytes; `requestMethodIsHead` because a HEAD response has no body whatever it says.
    public static func parse(_ head: ByteBuffer, requestMethodIsHead: Bool) throws(UpstreamProtocolError) -> UpstreamResponseHead {
        let view = head.readableBytesView
        let base = view.startIndex
        let count = view.count
        func byte(_ i: Int) -> UInt8 { view[base + i] }

        // Status line: HTTP/1.x SP 3DIGIT SP reason CRLF
        guard count >= 16, byte(0) == 72, byte(1) == 84, byte(2) == 84, byte(3) == 80, byte(4) == 47, byte(5) == 49,
              byte(6) == 46, byte(7) == 48 || byte(7) == 49, byte(8) == 32 else {
            throw UpstreamProtocolError(message: "invalid status line")
        }
        let http10 = byte(7) == 48
        var status = 0
        for k in 9..<12 {
            let d = byte(k)
            guard d >= 48 && d <= 57 else { throw UpstreamProtocolError(message: "invalid status code") }
            status = status * 10 + Int(d - 48)
        }
        guard status >= 100, byte(12) == 32 || byte(12) == 13 else {
            throw UpstreamProtocolError(message: "invalid status code")
        }
        var lineStart = 0
        var lineEnd = try findCRLF(view, from: 12)
        let statusText = 9..<lineEnd

        var lines: [(line: Range<Int>, nameLength: Int)] = []
        lines.reserveCapacity(12)
        var contentLength: Int?
        var chunked = false
        var transferEncodingSeen = false
        var closeToken = false
        var keepAliveToken = false
        var connectionTokens: [String] = []
        lineStart = lineEnd + 2
        while lineStart < count - 2 {
            lineEnd = try findCRLF(view, from: lineStart)
            guard lineEnd > lineStart else { break }
            let first = byte(lineStart)
            guard first != 32 && first != 9 else { throw UpstreamProtocolError(message: "obsolete line folding") }
            var colon = lineStart
            while colon < lineEnd && byte(colon) != 58 {
                guard isTokenByte(byte(colon)) else { throw UpstreamProtocolError(message: "invalid header name") }
                colon += 1
            }
            guard colon < lineEnd, colon > lineStart else { throw UpstreamProtocolError(message: "invalid header line") }
            for k in (colon + 1)..<lineEnd where byte(k) == 0 || byte(k) == 13 {
                throw UpstreamProtocolError(message: "invalid header value")
            }
            let nameLength = colon - lineStart
            lines.append((lineStart..<lineEnd, nameLength))
            let value = trimmed(view, colon + 1, lineEnd)
            if nameLength == 14 && nameEquals(view, lineStart, "content-length") {
                guard let n = decimal(view, value), contentLength == nil || contentLength == n else {
                    throw UpstreamProtocolError(message: "invalid Content-Length")
                }
                contentLength = n
            } else if nameLength == 17 && nameEquals(view, lineStart, "transfer-encoding") {
                transferEncodingSeen = true
                chunked = endsWithChunked(view, value)
            } else if nameLength == 10 && nameEquals(view, lineStart, "connection") {
                forEachToken(view, value) { token in
                    if token.count == 5 && nameEquals(view, token.lowerBound, "close") {
                        closeToken = true
                    } else if token.count == 10 && nameEquals(view, token.lowerBound, "keep-alive") {
                        keepAliveToken = true
                    } else {
                        connectionTokens.append(String(decoding: view[(base + token.lowerBound)..<(base + token.upperBound)],
                                                       as: UTF8.self).lowercased())
                    }
                }
            }
            lineStart = lineEnd + 2
        }
        if transferEncodingSeen && contentLength != nil {
            throw UpstreamProtocolError(message: "both Content-Length and Transfer-Encoding")
        }
        let framing: UpstreamResponseHead.BodyFraming
        if requestMethodIsHead || status < 200 || status == 204 || status == 304 {
            framing = .none
        } else if transferEncodingSeen {
            framing = chunked ? .chunked : .untilClose
        } else if let contentLength {
            framing = contentLength == 0 ? .none : .contentLength(contentLength)
        } else {
            framing = .untilClose
        }
        let keepAlive = framing != .untilClose && !closeToken && (!http10 || keepAliveToken)
        return UpstreamResponseHead(bytes: head, status: status, statusText: statusText, lines: lines, framing: framing,
                                    keepAlive: keepAlive, connectionTokens: connectionTokens)
    }

    private static func findCRLF(_ view: ByteBufferView, from: Int) throws(UpstreamProtocolError) -> Int {
        let base = view.startIndex
        var i = from
        while i + 1 < view.count {
            let b = view[base + i]
            if b == 13 {
                guard view[base + i + 1] == 10 else { throw UpstreamProtocolError(message: "bare CR in head") }
                return i
            }
            if b == 10 || b == 0 { throw UpstreamProtocolError(message: "bare LF or NUL in head") }
            i += 1
        }
        throw UpstreamProtocolError(message: "truncated head")
    }

    @inline(__always)
    static func isTokenByte(_ b: UInt8) -> Bool { HTTPToken.isTokenByte(b) }

    /// `start..<end` without leading and trailing spaces and tabs (a field value's optional whitespace).
    static func trimmed(_ view: ByteBufferView, _ start: Int, _ end: Int) -> Range<Int> {
        let base = view.startIndex
        var s = start, e = end
        while s < e && (view[base + s] == 32 || view[base + s] == 9) { s += 1 }
        while e > s && (view[base + e - 1] == 32 || view[base + e - 1] == 9) { e -= 1 }
        return s..<e
    }

    /// ASCII case-insensitive comparison of the bytes at `start` with a lowercase header name.
    public static func nameEquals(_ view: ByteBufferView, _ start: Int, _ lowercase: StaticString) -> Bool {
        let base = view.startIndex
        let p = lowercase.utf8Start
        for k in 0..<lowercase.utf8CodeUnitCount where (view[base + start + k] | 0x20) != p[k] {
            // `| 0x20` folds letters; the only non-letter in these names is '-', which is unchanged by it.
            return false
        }
        return true
    }

    private static func decimal(_ view: ByteBufferView, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var n = 0
        for k in range {
            let d = view[view.startIndex + k]
            guard d >= 48 && d <= 57 else { return nil }
            n = n * 10 + Int(d - 48)
        }
        return n
    }

    private static func endsWithChunked(_ view: ByteBufferView, _ range: Range<Int>) -> Bool {
        var last: Range<Int>?
        var start = range.lowerBound
        for k in range where view[view.startIndex + k] == 44 {
            last = start..<k
            start = k + 1
        }
        last = start..<range.upperBound
        let token = trimmed(view, last!.lowerBound, last!.upperBound)
        return token.count == 7 && nameEquals(view, token.lowerBound, "chunked")
    }

    private static func forEachToken(_ view: ByteBufferView, _ range: Range<Int>, _ body: (Range<Int>) -> Void) {
        var start = range.lowerBound
        for k in range.lowerBound...range.upperBound where k == range.upperBound || view[view.startIndex + k] == 44 {
            let token = trimmed(view, start, k)
            if !token.isEmpty { body(token) }
            start = k + 1
        }
    }
}
