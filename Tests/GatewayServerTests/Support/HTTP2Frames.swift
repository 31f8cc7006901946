/// Hand-built HTTP/2 frames (RFC 9113) and HPACK literals (RFC 7541) for tests that must send what a
/// well-behaved client library never would: reset floods, endless CONTINUATIONs, oversized header blocks.
enum HTTP2Frames {
    enum FrameType: UInt8 {
        case data = 0, headers = 1, priority = 2, rstStream = 3, settings = 4, pushPromise = 5, ping = 6,
             goAway = 7, windowUpdate = 8, continuation = 9
    }

    struct Frame: Equatable {
        let type: UInt8
        let flags: UInt8
        let streamID: UInt32
        let payload: [UInt8]

        /// GOAWAY's error code (RFC 9113 §6.8).
        var goAwayErrorCode: UInt32? {
            guard type == FrameType.goAway.rawValue, payload.count >= 8 else { return nil }
            return Self.uint32(payload, 4)
        }

        /// RST_STREAM's error code.
        var resetErrorCode: UInt32? {
            guard type == FrameType.rstStream.rawValue, payload.count == 4 else { return nil }
            return Self.uint32(payload, 0)
        }

        /// SETTINGS parameters as (identifier, value) pairs.
        var settings: [UInt16: UInt32] {
            guard type == FrameType.settings.rawValue else { return [:] }
            var result: [UInt16: UInt32] = [:]
            var offset = 0
            while offset + 6 <= payload.count {
                result[UInt16(payload[offset]) << 8 | UInt16(payload[offset + 1])] = Self.uint32(payload, offset + 2)
                offset += 6
            }
            return result
        }

        static func uint32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
            UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
        }
    }

    static let endStream: UInt8 = 0x1
    static let endHeaders: UInt8 = 0x4
    static let ack: UInt8 = 0x1
    static let enhanceYourCalm: UInt32 = 0xb
    static let refusedStream: UInt32 = 0x7

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    static func frame(_ type: FrameType, flags: UInt8 = 0, stream: UInt32 = 0, _ payload: [UInt8] = []) -> [UInt8] {
        let length = payload.count
        var bytes: [UInt8] = [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff),
                              type.rawValue, flags]
        bytes += [UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)]
        return bytes + payload
    }

    /// Client preface, an empty SETTINGS and the ACK of the server's SETTINGS (sent ahead; servers accept that).
    static func handshake() -> [UInt8] {
        preface + frame(.settings) + frame(.settings, flags: ack)
    }

    static func rstStream(_ stream: UInt32, errorCode: UInt32 = 0x8 /* CANCEL */) -> [UInt8] {
        frame(.rstStream, stream: stream, [UInt8(errorCode >> 24), UInt8(errorCode >> 16 & 0xff),
                                           UInt8(errorCode >> 8 & 0xff), UInt8(errorCode & 0xff)])
    }

    /// A GET request's header block: `:method GET`, `:scheme https` (static table), then literal `:path` and
    /// `:authority` plus any extra fields, all "literal without indexing" so no encoder state is involved.
    static func requestBlock(path: String, authority: String, method: String = "GET",
                             extra: [(String, String)] = []) -> [UInt8] {
        var block: [UInt8] = []
        if method == "GET" { block.append(0x82) } else { block += literal(indexedName: 2, value: method) }
        block.append(0x87)  // :scheme https
        block += literal(indexedName: 4, value: path)
        block += literal(indexedName: 1, value: authority)
        for (name, value) in extra { block += literal(name: name, value: value) }
        return block
    }

    static func literal(indexedName index: Int, value: String) -> [UInt8] {
        integer(index, prefixBits: 4, firstByte: 0x00) + string(value)
    }

    static func literal(name: String, value: String) -> [UInt8] {
        [0x00] + string(name) + string(value)
    }

    static func string(_ text: String) -> [UInt8] {
        integer(text.utf8.count, prefixBits: 7, firstByte: 0x00) + Array(text.utf8)
    }

    /// RFC 7541 §5.1 integer with an N-bit prefix.
    static func integer(_ value: Int, prefixBits: Int, firstByte: UInt8) -> [UInt8] {
        let limit = (1 << prefixBits) - 1
        if value < limit { return [firstByte | UInt8(value)] }
        var bytes = [firstByte | UInt8(limit)]
        var rest = value - limit
        while rest >= 128 {
            bytes.append(UInt8(rest & 0x7f | 0x80))
            rest >>= 7
        }
        bytes.append(UInt8(rest))
        return bytes
    }

    /// Rapid reset (CVE-2023-44487) as one write: the handshake, then `pairs` streams each cancelled at once.
    static func rapidResetBurst(path: String, authority: String, pairs: Int) -> [UInt8] {
        var bytes = handshake()
        let block = requestBlock(path: path, authority: authority)
        for k in 0..<pairs {
            let stream = UInt32(2 * k + 1)
            // No END_STREAM: as in the CVE, the request is still open (a body could follow) when it is cancelled.
            bytes += frame(.headers, flags: endHeaders, stream: stream, block)
            bytes += rstStream(stream)
        }
        return bytes
    }

    /// A header block that never ends, as one write: the handshake, HEADERS without END_HEADERS, then `frames`
    /// CONTINUATION frames of `bytesPerFrame` header bytes each (one endless literal value).
    static func continuationFlood(path: String, authority: String, frames: Int, bytesPerFrame: Int) -> [UInt8] {
        var bytes = handshake()
        bytes += frame(.headers, flags: endStream, stream: 1, requestBlock(path: path, authority: authority))
        var block = [0x00] + string("x-flood") + integer(frames * bytesPerFrame, prefixBits: 7, firstByte: 0x00)
        block += [UInt8](repeating: 0x76, count: frames * bytesPerFrame - block.count)
        var offset = 0
        while offset < block.count {
            let end = min(offset + bytesPerFrame, block.count)
            bytes += frame(.continuation, stream: 1, Array(block[offset..<end]))
            offset = end
        }
        return bytes
    }

    /// Splits received bytes into frames (after the server's part of the handshake, which has no preface).
    static func parse(_ bytes: [UInt8]) -> [Frame] {
        var frames: [Frame] = []
        var offset = 0
        while offset + 9 <= bytes.count {
            let length = Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
            guard offset + 9 + length <= bytes.count else { break }
            let stream = Frame.uint32(bytes, offset + 5) & 0x7fff_ffff
            frames.append(Frame(type: bytes[offset + 3], flags: bytes[offset + 4], streamID: stream,
                                payload: Array(bytes[(offset + 9)..<(offset + 9 + length)])))
            offset += 9 + length
        }
        return frames
    }
}
