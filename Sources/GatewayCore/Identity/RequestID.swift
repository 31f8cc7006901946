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

/// Mints request ids without locks or Foundation: one generator per event loop, random seed + counter.
///
/// Ids are 15 characters of base32 (`0-9a-v`), such as "4vj0k7q2m000001": 9 for a random 45-bit seed, 6 for the
/// counter. Unique within a generator by the counter, across generators and restarts by the seed (collision odds
/// ~n²/2⁴⁶). Fifteen bytes is what a Swift string holds inline, so minting one allocates nothing; past 2³⁰ ids
/// the counter takes more digits.
public struct RequestIDGenerator {
    private let seed: UInt64
    private var counter: UInt64 = 0
    private static let seedDigits = 9
    private static let minimumCounterDigits = 6

    public init() {
        var rng = SystemRandomNumberGenerator()
        seed = rng.next() >> 19
    }

    /// For tests: a fixed seed gives predictable ids (only its low 45 bits are used).
    init(seed: UInt64, counter: UInt64 = 0) {
        self.seed = seed & (1 << 45 - 1)
        self.counter = counter
    }

    public mutating func next() -> String {
        counter &+= 1
        let counterDigits = max(Self.minimumCounterDigits, (64 - counter.leadingZeroBitCount + 4) / 5)
        return String(unsafeUninitializedCapacity: Self.seedDigits + counterDigits) { buffer in
            RequestIDGenerator.writeBase32(seed, digits: Self.seedDigits, into: buffer, at: 0)
            RequestIDGenerator.writeBase32(counter, digits: counterDigits, into: buffer, at: Self.seedDigits)
            return Self.seedDigits + counterDigits
        }
    }

    private static func writeBase32(_ v: UInt64, digits: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        var v = v
        for k in stride(from: digits - 1, through: 0, by: -1) {
            let d = UInt8(v & 0x1F)
            buffer[offset + k] = d < 10 ? 0x30 + d : 0x61 + d - 10
            v >>= 5
        }
    }
}
