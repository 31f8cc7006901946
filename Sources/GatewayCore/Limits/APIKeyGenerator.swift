/// New API key values: 43 characters from [A-Za-z0-9] drawn from the system CSPRNG (`SystemRandomNumberGenerator`
/// reads `getrandom(2)` on Linux), about 256 bits, with no modulo bias (rejection sampling).
public enum APIKeyGenerator {
    public static let length = 43
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    public static func newValue() -> String {
        var generator = SystemRandomNumberGenerator()
        return newValue(using: &generator)
    }

    public static func newValue(using generator: inout some RandomNumberGenerator) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(length)
        while out.count < length {
            // 248 = 4 × 62: bytes at or above it would favour the first letters, so they are drawn again.
            let byte = UInt8.random(in: 0...255, using: &generator)
            if byte < 248 { out.append(alphabet[Int(byte % 62)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
