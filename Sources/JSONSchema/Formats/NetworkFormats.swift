/// Host-related formats: RFC 1123 `hostname` (no trailing dot; A-labels are not decoded), dotted-quad `ipv4`, RFC 4291 `ipv6` and RFC 5321 `email`.
enum NetworkFormats {
    static func isHostname(_ string: String) -> Bool {
        isHostname(Array(string.utf8)[...])
    }

    static func isHostname(_ name: ArraySlice<UInt8>) -> Bool {
        guard !name.isEmpty, name.count <= 253 else { return false }
        for label in name.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard (1...63).contains(label.count), label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-"),
                  label.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") }) else { return false }
        }
        return true
    }

    static func isIPv4(_ string: String) -> Bool {
        let parts = string.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            let bytes = Array(part.utf8)
            guard (1...3).contains(bytes.count), bytes.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  bytes.count == 1 || bytes[0] != UInt8(ascii: "0") else { return false }
            return Int(part)! <= 255
        }
    }

    static func isIPv6(_ string: String) -> Bool {
        guard string.utf8.count <= 45, string.unicodeScalars.allSatisfy({ $0.isASCII }) else { return false }
        var text = Substring(string)
        var groupsNeeded = 8
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard isIPv4(String(text[text.index(after: lastColon)...])) else { return false }
            text = text[...lastColon]
            if text.hasSuffix(":") && !text.hasSuffix("::") { text = text.dropLast() }
            groupsNeeded = 6
        }
        let halves = text.components(separatedByDoubleColon: ())
        guard halves.count <= 2 else { return false }
        func groups(_ part: Substring) -> Int? {
            if part.isEmpty { return 0 }
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for piece in pieces {
                guard (1...4).contains(piece.count), piece.allSatisfy({ $0.isHexDigit }) else { return nil }
            }
            return pieces.count
        }
        if halves.count == 1 {
            return groups(halves[0]) == groupsNeeded
        }
        guard let left = groups(halves[0]), let right = groups(halves[1]) else { return false }
        return left + right < groupsNeeded
    }

    /// RFC 5321 mailbox: a dot-atom or quoted local part, then a hostname or an address literal. Works on the
    /// UTF-8 bytes: `Character`-based `String` searching costs more than the whole check.
    static func isEmail(_ string: String) -> Bool {
        let bytes = Array(string.utf8)
        guard let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { return false }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard !local.isEmpty, !domain.isEmpty, local.count <= 64 else { return false }
        if local.first == UInt8(ascii: "\"") {
            guard local.count >= 2, local.last == UInt8(ascii: "\"") else { return false }
            let inner = local.dropFirst().dropLast()
            var index = inner.startIndex
            while index < inner.endIndex {
                if inner[index] == UInt8(ascii: "\\") { index += 2; continue }
                guard inner[index] >= 0x20, inner[index] != UInt8(ascii: "\"") else { return false }
                index += 1
            }
            if index > inner.endIndex { return false }
        } else {
            guard local.first != UInt8(ascii: "."), local.last != UInt8(ascii: "."),
                  !zip(local, local.dropFirst()).contains(where: { $0 == UInt8(ascii: ".") && $1 == UInt8(ascii: ".") }),
                  local.allSatisfy(isAtomByte) else { return false }
        }
        if domain.first == UInt8(ascii: "[") {
            guard domain.count >= 2, domain.last == UInt8(ascii: "]") else { return false }
            let literal = String(decoding: domain.dropFirst().dropLast(), as: UTF8.self)
            if literal.hasPrefix("IPv6:") { return isIPv6(String(literal.dropFirst(5))) }
            return isIPv4(literal)
        }
        return isHostname(domain)
    }

    /// RFC 5322 atext, dots (placed by the caller's checks) and UTF-8 (RFC 6531).
    private static func isAtomByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "/"),
             UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"),
             UInt8(ascii: "{"), UInt8(ascii: "|"), UInt8(ascii: "}"), UInt8(ascii: "~"), UInt8(ascii: "."):
            true
        default:
            isAlphanumeric(byte) || byte >= 0x80
        }
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
    }
}

private extension Substring {
    /// Splits at each `::` (an IPv6 zero-run marker).
    func components(separatedByDoubleColon: Void) -> [Substring] {
        var parts: [Substring] = []
        var start = startIndex
        var index = startIndex
        while index < endIndex {
            let next = self.index(after: index)
            if self[index] == ":", next < endIndex, self[next] == ":" {
                parts.append(self[start..<index])
                index = self.index(after: next)
                start = index
                continue
            }
            index = next
        }
        parts.append(self[start..<endIndex])
        return parts
    }
}
