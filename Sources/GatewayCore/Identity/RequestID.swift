/// Request id rules from the contract: keep a sane incoming id, otherwise mint one.
public enum RequestID {
    /// 1–128 characters of [A-Za-z0-9._:-]; anything else is replaced so ids are safe to echo in headers and logs.
    public static func isValidIncoming(_ value: Substring) -> Bool {
        let utf8 = value.utf8
        guard !utf8.isEmpty, utf8.count <= 128 else { return false }
        for b in utf8 {
            switch b {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2E, 0x5F, 0x3A, 0x2D: continue
            default: return false
            }
        }
        return true
    }
}

/// Mints request ids without locks or Foundation: one generator per event loop, random 64-bit seed + counter.
///
/// Ids look like "9f86d081884c7d65-0000002a" (16 hex seed, "-", at least 8 hex counter digits): unique within a
/// generator by the counter, across generators and restarts by the seed (collision odds ~n²/2⁶⁵).
public struct RequestIDGenerator {
    private let seed: UInt64
    private var counter: UInt64 = 0

    public init() {
        var rng = SystemRandomNumberGenerator()
        seed = rng.next()
    }

    /// For tests: a fixed seed gives predictable ids.
    init(seed: UInt64, counter: UInt64 = 0) {
        self.seed = seed
        self.counter = counter
    }

    public mutating func next() -> String {
        counter &+= 1
        let counterDigits = max(8, (64 - counter.leadingZeroBitCount + 3) / 4)
        return String(unsafeUninitializedCapacity: 17 + counterDigits) { buffer in
            RequestIDGenerator.writeHex(seed, digits: 16, into: buffer, at: 0)
            buffer[16] = UInt8(ascii: "-")
            RequestIDGenerator.writeHex(counter, digits: counterDigits, into: buffer, at: 17)
            return 17 + counterDigits
        }
    }

    private static func writeHex(_ v: UInt64, digits: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        var v = v
        for k in stride(from: digits - 1, through: 0, by: -1) {
            let d = UInt8(v & 0xF)
            buffer[offset + k] = d < 10 ? 0x30 + d : 0x61 + d - 10
            v >>= 4
        }
    }
}
