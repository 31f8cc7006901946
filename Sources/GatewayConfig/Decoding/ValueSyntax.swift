/// Parsing and printing of the contract's duration and size notations.
public enum DurationSyntax {
    private static let units: [(suffix: String, nanoseconds: Double)] = [
        ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9), ("d", 86_400e9),
    ]

    /// "250ms", "29s", "0.5s", "5m", "1h", "1d"; nil when malformed. Huge values saturate (the range check rejects them).
    static func parse(_ text: String) -> Duration? {
        // "ms" before "s" and "m": the unit is the trailing letters, matched exactly.
        let digitsEnd = text.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? text.endIndex
        let number = text[..<digitsEnd]
        let unit = text[digitsEnd...]
        guard isDecimal(number), let factor = units.first(where: { $0.suffix == unit })?.nanoseconds,
              let value = Double(number) else { return nil }
        return fromNanoseconds(value * factor)
    }

    static func fromSeconds(_ seconds: Double) -> Duration { fromNanoseconds(seconds * 1e9) }

    /// A duration written as text on a command line: seconds ("30", "0.5") or with a unit ("250ms", "5m").
    public static func parseText(_ text: String) -> Duration? {
        if isDecimal(Substring(text)), let seconds = Double(text) { return fromSeconds(seconds) }
        return parse(text)
    }

    private static func fromNanoseconds(_ ns: Double) -> Duration {
        let clamped = min(max(ns.rounded(), -9e18), 9e18)
        return .nanoseconds(Int64(clamped))
    }

    /// Digits with at most one interior dot: "5", "0.5"; not ".5", "5." or "".
    static func isDecimal(_ s: Substring) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return (1...2).contains(parts.count)
            && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    /// Shortest exact unit spelling, for bounds in messages ("15m", "29s", "250ms").
    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let ms = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if ms == 0 { return "0" }
        if ms % 86_400_000 == 0 { return "\(ms / 86_400_000)d" }
        if ms % 3_600_000 == 0 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }
}

enum SizeSyntax {
    private static let units: [(suffix: String, bytes: Double)] = [
        ("B", 1), ("KB", 1024), ("MB", 1024 * 1024), ("GB", 1024 * 1024 * 1024),
    ]

    /// "512B", "64KB", "10MB", "1GB", "1.5MB" (units case-insensitive, 1 KB = 1024 bytes); nil when malformed.
    static func parse(_ text: String) -> Int? {
        let digitsEnd = text.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? text.endIndex
        let number = text[..<digitsEnd]
        let unit = text[digitsEnd...].uppercased()
        guard DurationSyntax.isDecimal(number), let factor = units.first(where: { $0.suffix == unit })?.bytes,
              let value = Double(number) else { return nil }
        return Int(min(value * factor, 9e18))
    }

    static func format(_ bytes: Int) -> String {
        for (suffix, factor) in units.reversed() where factor > 1 {
            let f = Int(factor)
            if bytes >= f && bytes % f == 0 { return "\(bytes / f)\(suffix)" }
        }
        return bytes == 0 ? "0" : "\(bytes)B"
    }
}
