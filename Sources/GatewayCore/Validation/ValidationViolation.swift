/// One reason a request failed validation, as the contract's `errors` list shows it:
/// `{"in":"body","pointer":"/items/0/qty","keyword":"minimum","message":"must be >= 1"}` or
/// `{"in":"query","name":"dryRun","keyword":"type","message":"must be boolean"}`.
public struct ValidationViolation: Sendable, Equatable {
    public enum Location: String, Sendable {
        case body, path, query, header
    }

    public let location: Location
    /// The parameter's name (nil for the body).
    public let name: String?
    /// Where in the value the violation is: a JSON pointer into the body, or into a parameter's converted value.
    public let pointer: String?
    public let keyword: String
    public let message: String

    public init(location: Location, name: String? = nil, pointer: String? = nil, keyword: String, message: String) {
        self.location = location
        self.name = name
        self.pointer = pointer
        self.keyword = keyword
        self.message = message
    }

    /// The problem body's extension members: `errors`, plus `errorsTruncated` when more violations were found
    /// than listed (the cap keeps a hostile payload from producing a huge response).
    public static func problemExtensions(_ violations: [ValidationViolation], truncated: Bool) -> [(String, String)] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (index, violation) in violations.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            violation.append(to: &out)
        }
        out.append(UInt8(ascii: "]"))
        var members = [("errors", String(decoding: out, as: UTF8.self))]
        if truncated { members.append(("errorsTruncated", "true")) }
        return members
    }

    func append(to out: inout [UInt8]) {
        out.append(contentsOf: #"{"in":"#.utf8)
        JSONEscaping.appendQuoted(location.rawValue, to: &out)
        if let name {
            out.append(contentsOf: #","name":"#.utf8)
            JSONEscaping.appendQuoted(name, to: &out)
        }
        if let pointer {
            out.append(contentsOf: #","pointer":"#.utf8)
            JSONEscaping.appendQuoted(pointer, to: &out)
        }
        out.append(contentsOf: #","keyword":"#.utf8)
        JSONEscaping.appendQuoted(keyword, to: &out)
        out.append(contentsOf: #","message":"#.utf8)
        JSONEscaping.appendQuoted(message, to: &out)
        out.append(UInt8(ascii: "}"))
    }
}
