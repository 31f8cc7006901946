/// Request id rules from the contract (keep a sane incoming id, else mint one).
public enum RequestID {
    /// 1–128 characters of [A-Za-z0-9._:-]; anything else is replaced so ids are safe in logs and headers.
    public static func isValidIncoming(_ value: Substring) -> Bool { false }
}

/// Mints request ids without locks: one per event loop, random 64-bit seed + counter.
public struct RequestIDGenerator {
    public init() {}
    public mutating func next() -> String { "" }
}
