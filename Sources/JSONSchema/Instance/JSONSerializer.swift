extension JSONInstance {
    /// Compact JSON text, used in error messages (`must be equal to constant 3`) and CLI output.
    public var jsonText: String {
        var output = ""
        JSONInstance.write(self, to: &output)
        return output
    }

    private static func write(_ value: JSONInstance, to output: inout String) {
        switch value {
        case .null: output += "null"
        case .bool(let bool): output += bool ? "true" : "false"
        case .number(let number): output += number.description
        case .string(let string): output += quoted(string)
        case .array(let elements):
            output += "["
            for (position, element) in elements.enumerated() {
                if position > 0 { output += "," }
                write(element, to: &output)
            }
            output += "]"
        case .object(let object):
            output += "{"
            for (position, (key, member)) in object.members.enumerated() {
                if position > 0 { output += "," }
                output += quoted(key)
                output += ":"
                write(member, to: &output)
            }
            output += "}"
        }
    }

    /// A JSON string literal with the mandatory escapes.
    public static func quoted(_ string: String) -> String {
        var output = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }
}
