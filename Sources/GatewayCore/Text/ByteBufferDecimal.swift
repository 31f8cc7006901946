import NIOCore

extension ByteBuffer {
    /// `value` as decimal ASCII, written in place: `String(value)` allocates a string on the way, and a response
    /// head writes a length, a TTL or an age on every request.
    public mutating func writeDecimal(_ value: Int) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: 20) { out in
            var magnitude = value.magnitude
            var digits = 1
            var probe = magnitude
            while probe >= 10 {
                probe /= 10
                digits += 1
            }
            let sign = value < 0 ? 1 : 0
            if sign == 1 { out[0] = UInt8(ascii: "-") }
            var index = sign + digits - 1
            repeat {
                out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
                index -= 1
            } while magnitude > 0
            return sign + digits
        }
    }
}
