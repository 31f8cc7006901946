#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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
/// Scans raw bytes (one pass per line, no per-byte bounds checks): this runs on every proxied response.
public enum UpstreamResponseHeadParser {
    public static let maxHeadSize = 64 * 1024

    /// Index just past the head's terminating CRLFCRLF in `view`, scanning from `from`, or nil if incomplete.
    public static func headEnd(in view: ByteBufferView, from: Int) -> Int? {
        view.withContiguousStorageIfAvailable { bytes -> Int? in
            guard let start = bytes.baseAddress else { return nil }
            // Every LF is a candidate end; memchr jumps from one to the next.
            var i = max(from, 3)
            while i < bytes.count {
                guard let hit = memchr(start + i, 10, bytes.count - i) else { return nil }
                let lf = start.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if lf >= 3 && start[lf - 1] == 13 && start[lf - 2] == 10 && start[lf - 3] == 13 { return lf + 1 }
                i = lf + 1
            }
            return nil
        } ?? nil
    }

    /// `head` is exactly the head's bytes; `requestMethodIsHead` because a HEAD response has no body whatever it says.
    public static func parse(_ head: ByteBuffer, requestMethodIsHead: Bool) throws(UpstreamProtocolError) -> UpstreamResponseHead {
        let parsed = head.withUnsafeReadableBytes { bytes in
            Result { () throws(UpstreamProtocolError) in
                // The shortest status line is 16 bytes; the rest of the parse may then read from a real address.
                guard bytes.count >= 16, let start = bytes.baseAddress else {
                    throw UpstreamProtocolError(message: "invalid status line")
                }
                return try parseFields(HeadBytes(base: start.assumingMemoryBound(to: UInt8.self), count: bytes.count),
                                       requestMethodIsHead: requestMethodIsHead)
            }
        }
        let fields = try parsed.get()
        return UpstreamResponseHead(bytes: head, status: fields.status, statusText: fields.statusText, lines: fields.lines,
                                    framing: fields.framing, keepAlive: fields.keepAlive,
                                    connectionTokens: fields.connectionTokens)
    }

    /// What `parse` finds, before it is paired with the bytes it points into.
    private struct Fields {
        var status: Int
        var statusText: Range<Int>
        var lines: [(line: Range<Int>, nameLength: Int)]
        var framing: UpstreamResponseHead.BodyFraming
        var keepAlive: Bool
        var connectionTokens: [String]
    }

    private static func parseFields(_ head: HeadBytes, requestMethodIsHead: Bool) throws(UpstreamProtocolError) -> Fields {
        let count = head.count
        // Status line: HTTP/1.x SP 3DIGIT SP reason CRLF
        guard head.matches(0, "HTTP/1."), head[7] == 48 || head[7] == 49, head[8] == 32 else {
            throw UpstreamProtocolError(message: "invalid status line")
        }
        let http10 = head[7] == 48
        var status = 0
        for k in 9..<12 {
            let d = head[k]
            guard d >= 48 && d <= 57 else { throw UpstreamProtocolError(message: "invalid status code") }
            status = status * 10 + Int(d - 48)
        }
        guard status >= 100, head[12] == 32 || head[12] == 13 else {
            throw UpstreamProtocolError(message: "invalid status code")
        }
        var lineEnd = try head.lineEnd(from: 12)
        let statusText = 9..<lineEnd

        var lines: [(line: Range<Int>, nameLength: Int)] = []
        lines.reserveCapacity(12)
        var contentLength: Int?
        var chunked = false
        var transferEncodingSeen = false
        var closeToken = false
        var keepAliveToken = false
        var connectionTokens: [String] = []
        var lineStart = lineEnd + 2
        while lineStart < count - 2 {
            // `lineEnd` has refused CR, LF and NUL anywhere in the line, so the value needs no second look.
            lineEnd = try head.lineEnd(from: lineStart)
            guard lineEnd > lineStart else { break }
            let first = head[lineStart]
            guard first != 32 && first != 9 else { throw UpstreamProtocolError(message: "obsolete line folding") }
            var colon = lineStart
            while colon < lineEnd && head[colon] != 58 {
                guard HTTPToken.isTokenByte(head[colon]) else { throw UpstreamProtocolError(message: "invalid header name") }
                colon += 1
            }
            guard colon < lineEnd, colon > lineStart else { throw UpstreamProtocolError(message: "invalid header line") }
            let nameLength = colon - lineStart
            lines.append((lineStart..<lineEnd, nameLength))
            // Only framing and connection fields are read; their names are 10, 14 and 17 bytes long.
            guard nameLength == 10 || nameLength == 14 || nameLength == 17 else {
                lineStart = lineEnd + 2
                continue
            }
            let value = head.trimmed(colon + 1, lineEnd)
            if nameLength == 14 && head.nameEquals(lineStart, "content-length") {
                guard let n = head.decimal(value), contentLength == nil || contentLength == n else {
                    throw UpstreamProtocolError(message: "invalid Content-Length")
                }
                contentLength = n
            } else if nameLength == 17 && head.nameEquals(lineStart, "transfer-encoding") {
                transferEncodingSeen = true
                chunked = head.endsWithChunked(value)
            } else if nameLength == 10 && head.nameEquals(lineStart, "connection") {
                head.forEachToken(value) { token in
                    if token.count == 5 && head.nameEquals(token.lowerBound, "close") {
                        closeToken = true
                    } else if token.count == 10 && head.nameEquals(token.lowerBound, "keep-alive") {
                        keepAliveToken = true
                    } else {
                        connectionTokens.append(head.string(token).lowercased())
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
        return Fields(status: status, statusText: statusText, lines: lines, framing: framing, keepAlive: keepAlive,
                      connectionTokens: connectionTokens)
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
}

/// A response head's bytes as the parser reads them: offsets from the head's first byte, no bounds checks
/// past the ones the parser makes itself (every index it reads is below `count`).
private struct HeadBytes {
    let base: UnsafePointer<UInt8>
    let count: Int

    @inline(__always)
    subscript(_ i: Int) -> UInt8 { base[i] }

    /// Where the line starting at `from` ends (its CR). CR must be followed by LF; a bare LF or NUL anywhere
    /// in the line is refused (they could end or split a header line on another parser).
    func lineEnd(from: Int) throws(UpstreamProtocolError) -> Int {
        var i = from
        while i + 1 < count {
            let b = base[i]
            // Everything that needs a second look is at or below CR (13).
            if b <= 13 {
                if b == 13 {
                    guard base[i + 1] == 10 else { throw UpstreamProtocolError(message: "bare CR in head") }
                    return i
                }
                if b == 10 || b == 0 { throw UpstreamProtocolError(message: "bare LF or NUL in head") }
            }
            i += 1
        }
        throw UpstreamProtocolError(message: "truncated head")
    }

    func matches(_ start: Int, _ literal: StaticString) -> Bool {
        memcmp(base + start, literal.utf8Start, literal.utf8CodeUnitCount) == 0
    }

    /// ASCII case-insensitive comparison with a lowercase name (`| 0x20` folds letters and leaves '-' as it is).
    func nameEquals(_ start: Int, _ lowercase: StaticString) -> Bool {
        let p = lowercase.utf8Start
        for k in 0..<lowercase.utf8CodeUnitCount where (base[start + k] | 0x20) != p[k] { return false }
        return true
    }

    func trimmed(_ start: Int, _ end: Int) -> Range<Int> {
        var s = start, e = end
        while s < e && (base[s] == 32 || base[s] == 9) { s += 1 }
        while e > s && (base[e - 1] == 32 || base[e - 1] == 9) { e -= 1 }
        return s..<e
    }

    func decimal(_ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var n = 0
        for k in range {
            let d = base[k]
            guard d >= 48 && d <= 57 else { return nil }
            n = n * 10 + Int(d - 48)
        }
        return n
    }

    /// Whether the last coding in a `Transfer-Encoding` value is `chunked`.
    func endsWithChunked(_ range: Range<Int>) -> Bool {
        var start = range.lowerBound
        for k in range where base[k] == 44 { start = k + 1 }
        let token = trimmed(start, range.upperBound)
        return token.count == 7 && nameEquals(token.lowerBound, "chunked")
    }

    func forEachToken(_ range: Range<Int>, _ body: (Range<Int>) -> Void) {
        var start = range.lowerBound
        for k in range.lowerBound...range.upperBound where k == range.upperBound || base[k] == 44 {
            let token = trimmed(start, k)
            if !token.isEmpty { body(token) }
            start = k + 1
        }
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count), as: UTF8.self)
    }
}
