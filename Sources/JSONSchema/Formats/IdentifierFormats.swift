/// RFC 3986 absolute `uri` (grammar checked character by character) and RFC 4122 `uuid`.
enum URIFormat {
    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
    private static let subDelimiters = Set("!$&'()*+,;=".utf8)

    static func isURI(_ string: String) -> Bool {
        let bytes = Array(string.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0,
              NetworkFormats.isAlphanumeric(bytes[0]) && !(bytes[0] >= 48 && bytes[0] <= 57),
              bytes[..<colon].allSatisfy({ NetworkFormats.isAlphanumeric($0) || $0 == UInt8(ascii: "+")
                  || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }) else { return false }
        var rest = bytes[(colon + 1)...]
        var fragment: ArraySlice<UInt8> = []
        if let hash = rest.firstIndex(of: UInt8(ascii: "#")) {
            fragment = rest[(hash + 1)...]
            rest = rest[..<hash]
        }
        guard validCharacters(fragment, extra: Set("/?:@".utf8)) else { return false }
        var query: ArraySlice<UInt8> = []
        if let question = rest.firstIndex(of: UInt8(ascii: "?")) {
            query = rest[(question + 1)...]
            rest = rest[..<question]
        }
        guard validCharacters(query, extra: Set("/?:@".utf8)) else { return false }
        if rest.starts(with: "//".utf8) {
            let authorityStart = rest.startIndex + 2
            let authorityEnd = rest[authorityStart...].firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex
            guard validAuthority(rest[authorityStart..<authorityEnd]) else { return false }
            rest = rest[authorityEnd...]
        }
        return validCharacters(rest, extra: Set("/:@".utf8))
    }

    private static func validCharacters(_ bytes: ArraySlice<UInt8>, extra: Set<UInt8>) -> Bool {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex, isHex(bytes[index + 1]), isHex(bytes[index + 2]) else { return false }
                index += 3
                continue
            }
            guard unreserved.contains(byte) || subDelimiters.contains(byte) || extra.contains(byte) else { return false }
            index += 1
        }
        return true
    }

    private static func validAuthority(_ bytes: ArraySlice<UInt8>) -> Bool {
        var host = bytes
        if let at = host.lastIndex(of: UInt8(ascii: "@")) {
            guard validCharacters(host[..<at], extra: [UInt8(ascii: ":")]) else { return false }
            host = host[(at + 1)...]
        }
        if host.first == UInt8(ascii: "[") {
            guard let close = host.firstIndex(of: UInt8(ascii: "]")) else { return false }
            let literal = String(decoding: host[(host.startIndex + 1)..<close], as: UTF8.self)
            guard NetworkFormats.isIPv6(literal) || literal.lowercased().hasPrefix("v") else { return false }
            host = host[(close + 1)...]
            if host.isEmpty { return true }
            guard host.first == UInt8(ascii: ":") else { return false }
            return host.dropFirst().allSatisfy { $0 >= 48 && $0 <= 57 }
        }
        if let colon = host.lastIndex(of: UInt8(ascii: ":")) {
            guard host[(colon + 1)...].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return false }
            host = host[..<colon]
        }
        return validCharacters(host, extra: [])
    }

    private static func isHex(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 70) || (byte >= 97 && byte <= 102)
    }

    static func isUUID(_ string: String) -> Bool {
        let bytes = Array(string.utf8)
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else if !isHex(byte) {
                return false
            }
        }
        return true
    }
}
