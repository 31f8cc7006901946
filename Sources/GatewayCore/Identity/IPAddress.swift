/// An IPv4 or IPv6 address stored as 128 bits (IPv4 as ::ffff:a.b.c.d) so CIDR checks are one code path.
///
/// Parsing is strict and allocation-free: dotted quads without leading zeros (no octal surprises), RFC 4291 IPv6
/// text with "::" and a trailing dotted quad; no zone ids, brackets or ports (callers strip those).
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    let high: UInt64
    let low: UInt64
    /// Parsed from / built as IPv4; an IPv6 "::ffff:1.2.3.4" has the same bits but is not `isIPv4`.
    public let isIPv4: Bool

    init(high: UInt64, low: UInt64, isIPv4: Bool) {
        self.high = high
        self.low = low
        self.isIPv4 = isIPv4
    }

    public init(ipv4 bytes: (UInt8, UInt8, UInt8, UInt8)) {
        let v = UInt32(bytes.0) << 24 | UInt32(bytes.1) << 16 | UInt32(bytes.2) << 8 | UInt32(bytes.3)
        self.init(high: 0, low: IPAddress.mappedPrefix | UInt64(v), isIPv4: true)
    }

    /// `bytes` must hold 16 bytes in network order.
    public init(ipv6 bytes: [UInt8]) {
        precondition(bytes.count == 16, "IPv6 address needs 16 bytes, got \(bytes.count)")
        var h: UInt64 = 0
        var l: UInt64 = 0
        for i in 0..<8 { h = h << 8 | UInt64(bytes[i]) }
        for i in 8..<16 { l = l << 8 | UInt64(bytes[i]) }
        self.init(high: h, low: l, isIPv4: false)
    }

    public init?(_ text: String) { self.init(Substring(text)) }

    public init?(_ text: Substring) {
        guard let a = PathScan.withBytes(text, IPAddress.parse) else { return nil }
        self = a
    }

    /// Parses raw bytes (the X-Forwarded-For walk calls this without making strings).
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        if bytes.contains(UInt8(ascii: ":")) {
            guard let (h, l) = parseIPv6(bytes) else { return nil }
            return IPAddress(high: h, low: l, isIPv4: false)
        }
        guard let v = parseIPv4(bytes[...]) else { return nil }
        return IPAddress(high: 0, low: mappedPrefix | UInt64(v), isIPv4: true)
    }

    static let mappedPrefix: UInt64 = 0x0000_FFFF_0000_0000

    /// True for IPv4 addresses and IPv4-mapped IPv6 addresses (dual-stack sockets report IPv4 peers this way).
    public var isIPv4Mapped: Bool { high == 0 && low & 0xFFFF_FFFF_0000_0000 == IPAddress.mappedPrefix }

    /// The plain IPv4 form of an IPv4-mapped IPv6 address, else `self`; use it for logs and X-Forwarded-For.
    public var unmapped: IPAddress { isIPv4Mapped ? IPAddress(high: high, low: low, isIPv4: true) : self }

    /// The 16 address bytes in network order (IPv4 as ::ffff:a.b.c.d).
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            out[i] = UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(i)))
            out[8 + i] = UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(i)))
        }
        return out
    }

    /// Dotted quad for IPv4, RFC 5952 text for IPv6 (lowercase, longest zero run compressed, ::ffff:a.b.c.d).
    public var description: String {
        var out: [UInt8] = []
        out.reserveCapacity(39)
        if isIPv4 {
            IPAddress.appendIPv4(UInt32(truncatingIfNeeded: low), to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        var groups = [UInt16](repeating: 0, count: 8)
        for i in 0..<4 {
            groups[i] = UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64(i)))
            groups[4 + i] = UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64(i)))
        }
        let mapped = isIPv4Mapped
        let hexGroups = mapped ? 6 : 8
        // Longest run of at least two zero groups; the first one wins a tie (RFC 5952 4.2.3).
        var runStart = -1, runLength = 0, i = 0
        while i < hexGroups {
            if groups[i] == 0 {
                var j = i
                while j < hexGroups, groups[j] == 0 { j += 1 }
                if j - i > runLength, j - i >= 2 { runStart = i; runLength = j - i }
                i = j
            } else {
                i += 1
            }
        }
        i = 0
        while i < hexGroups {
            if i == runStart {
                out.append(contentsOf: i == 0 ? [58, 58] : [58])
                i += runLength
                continue
            }
            IPAddress.appendHex(groups[i], to: &out)
            if i < hexGroups - 1 || mapped { out.append(58) }
            i += 1
        }
        if mapped { IPAddress.appendIPv4(UInt32(truncatingIfNeeded: low), to: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Parsing

    static func parseIPv4(_ s: Slice<UnsafeBufferPointer<UInt8>>) -> UInt32? {
        var value: UInt32 = 0
        var part: UInt32 = 0
        var digits = 0
        var parts = 0
        var leadingZero = false
        for b in s {
            if b == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | part
                parts += 1
                part = 0
                digits = 0
                continue
            }
            guard b >= 0x30, b <= 0x39 else { return nil }
            if digits == 0 { leadingZero = b == 0x30 } else if leadingZero { return nil }
            part = part * 10 + UInt32(b - 0x30)
            digits += 1
            guard part <= 255 else { return nil }
        }
        guard digits > 0, parts == 3 else { return nil }
        return value << 8 | part
    }

    /// 128-bit accumulator: groups are shifted in from the right, so "::" is just a shift of the head part.
    struct U128 {
        var hi: UInt64 = 0
        var lo: UInt64 = 0
        mutating func push(_ group: UInt16) {
            hi = hi << 16 | lo >> 48
            lo = lo << 16 | UInt64(group)
        }
        mutating func shift(groups n: Int) {
            for _ in 0..<n { push(0) }
        }
    }

    static func parseIPv6(_ s: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64)? {
        var head = U128()  // groups before "::" (or all groups without one)
        var tail = U128()  // groups after "::"
        var headCount = 0
        var tailCount = 0
        var sawGap = false
        var i = s.startIndex
        let end = s.endIndex
        func put(_ v: UInt16) {
            if sawGap { tail.push(v); tailCount += 1 } else { head.push(v); headCount += 1 }
        }
        if i == end { return nil }
        if s[i] == UInt8(ascii: ":") {
            guard i + 1 < end, s[i + 1] == UInt8(ascii: ":") else { return nil }
            sawGap = true
            i += 2
        }
        while i < end {
            // One group: 1–4 hex digits, or a final dotted quad.
            let start = i
            var v: UInt16 = 0
            var digits = 0
            while i < end, let h = ASCIIHex.value(s[i]) {
                guard digits < 4 else { return nil }
                v = v << 4 | UInt16(h)
                digits += 1
                i += 1
            }
            if i < end, s[i] == UInt8(ascii: ".") {
                guard headCount + tailCount <= 6, let v4 = parseIPv4(s[start..<end]) else { return nil }
                put(UInt16(v4 >> 16))
                put(UInt16(v4 & 0xFFFF))
                i = end
                break
            }
            guard digits > 0, headCount + tailCount < 8 else { return nil }
            put(v)
            if i == end { break }
            guard s[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            guard i < end else { return nil }  // trailing single ":"
            if s[i] == UInt8(ascii: ":") {
                guard !sawGap else { return nil }
                sawGap = true
                i += 1
            }
        }
        let total = headCount + tailCount
        if sawGap {
            guard total < 8 else { return nil }  // "::" stands for at least one zero group
            head.shift(groups: 8 - headCount)
            return (head.hi | tail.hi, head.lo | tail.lo)
        }
        guard total == 8 else { return nil }
        return (head.hi, head.lo)
    }


    static func appendIPv4(_ v: UInt32, to out: inout [UInt8]) {
        for k in 0..<4 {
            let octet = UInt8(truncatingIfNeeded: v >> (24 - 8 * UInt32(k)))
            if octet >= 100 { out.append(0x30 + octet / 100) }
            if octet >= 10 { out.append(0x30 + octet / 10 % 10) }
            out.append(0x30 + octet % 10)
            if k < 3 { out.append(UInt8(ascii: ".")) }
        }
    }

    static func appendHex(_ v: UInt16, to out: inout [UInt8]) {
        var started = false
        for shift in stride(from: 12, through: 0, by: -4) {
            let d = Int(v >> UInt16(shift) & 0xF)
            if d != 0 || started || shift == 0 {
                out.append(d < 10 ? 0x30 + UInt8(d) : 0x61 + UInt8(d - 10))
                started = true
            }
        }
    }
}
