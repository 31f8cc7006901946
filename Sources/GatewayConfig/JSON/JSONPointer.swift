/// RFC 6901 JSON pointers, the address every config diagnostic carries.
public enum JSONPointer {
    /// Escapes one reference token: `~` → `~0`, `/` → `~1` (in that order, so `~1` in a key stays distinct).
    public static func escape(_ token: String) -> String {
        guard token.contains("~") || token.contains("/") else { return token }
        return token.pointerReplacing("~", with: "~0").pointerReplacing("/", with: "~1")
    }

    /// Decodes one reference token; nil for a `~` not followed by `0` or `1`.
    public static func unescape(_ token: String) -> String? {
        guard token.contains("~") else { return token }
        var out = ""
        var iterator = token.makeIterator()
        while let c = iterator.next() {
            if c == "~" {
                switch iterator.next() {
                case "0": out.append("~")
                case "1": out.append("/")
                default: return nil
                }
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// `parent` + "/" + escaped key; the document root is "".
    public static func appending(_ parent: String, _ key: String) -> String {
        parent + "/" + escape(key)
    }

    public static func appending(_ parent: String, _ index: Int) -> String {
        parent + "/" + String(index)
    }

    /// Splits a pointer into unescaped tokens; nil if it is not a valid pointer.
    public static func tokens(_ pointer: String) -> [String]? {
        if pointer.isEmpty { return [] }
        guard pointer.hasPrefix("/") else { return nil }
        var result: [String] = []
        for raw in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            guard let token = unescape(String(raw)) else { return nil }
            result.append(token)
        }
        return result
    }
}

extension String {
    /// Hand-rolled so the pointer helper needs no Foundation.
    fileprivate func pointerReplacing(_ target: Character, with replacement: String) -> String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for c in self {
            if c == target { out += replacement } else { out.append(c) }
        }
        return out
    }
}
