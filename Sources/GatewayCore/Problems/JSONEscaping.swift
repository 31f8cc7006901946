/// Minimal JSON string quoting so problem bodies and access-log lines need no Foundation encoder.
public enum JSONEscaping {
    public static func appendQuoted(_ s: some StringProtocol, to out: inout [UInt8]) {}
    public static func quoted(_ s: some StringProtocol) -> String {
        var out: [UInt8] = []
        appendQuoted(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
