/// Expands `${NAME}` references so secrets and per-host values stay out of the file.
enum EnvironmentSubstitution {
    struct Outcome: Equatable {
        var value: String
        /// One message per missing or malformed reference.
        var errors: [String]
    }

    static func substitute(_ text: String, environment: [String: String]) -> Outcome {
        guard text.utf8.contains(UInt8(ascii: "$")) else { return Outcome(value: text, errors: []) }
        var out = ""
        var errors: [String] = []
        var rest = text[...]
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            let afterDollar = rest.index(after: dollar)
            guard afterDollar < rest.endIndex, rest[afterDollar] == "{" else {
                out.append("$")
                rest = rest[afterDollar...]
                continue
            }
            let nameStart = rest.index(after: afterDollar)
            guard let close = rest[nameStart...].firstIndex(of: "}") else {
                errors.append("unterminated environment reference \"\(rest[dollar...])\" (write ${NAME})")
                out += rest[dollar...]
                rest = rest[rest.endIndex...]
                break
            }
            let name = String(rest[nameStart..<close])
            if !isVariableName(name) {
                errors.append("invalid environment variable name \"\(name)\" in \"${\(name)}\"")
            } else if let value = environment[name] {
                out += value
            } else {
                errors.append("environment variable \"\(name)\" is not set")
            }
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return Outcome(value: out, errors: errors)
    }

    /// POSIX-style names only, so `${` in ordinary text is caught instead of silently kept.
    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    private static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
}
