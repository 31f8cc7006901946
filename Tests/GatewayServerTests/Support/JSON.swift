import Foundation

/// A small JSON value for assertions, parsed with Foundation (independent of the gateway's own parser).
enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    enum Error: Swift.Error { case invalid(String) }

    static func parse(_ bytes: [UInt8]) throws -> JSON {
        let any = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        return try convert(any)
    }

    static func parse(_ text: String) throws -> JSON { try parse(Array(text.utf8)) }

    private static func convert(_ any: Any) throws -> JSON {
        switch any {
        case is NSNull: return .null
        case let n as NSNumber:
            // Foundation hands booleans back as a boolean NSNumber subclass ("c"), numbers as plain NSNumber.
            if type(of: n) != NSNumber.self, String(cString: n.objCType) == "c" { return .bool(n.boolValue) }
            return .number(n.doubleValue)
        case let b as Bool: return .bool(b)
        case let s as String: return .string(s)
        case let a as [Any]: return .array(try a.map(convert))
        case let o as [String: Any]: return .object(try o.mapValues(convert))
        default: throw Error.invalid("unexpected \(type(of: any))")
        }
    }

    subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    var string: String? { if case .string(let s) = self { return s }; return nil }
    var int: Int? { if case .number(let n) = self { return Int(exactly: n) }; return nil }
    var double: Double? { if case .number(let n) = self { return n }; return nil }
    var array: [JSON]? { if case .array(let a) = self { return a }; return nil }
    var object: [String: JSON]? { if case .object(let o) = self { return o }; return nil }

    /// Appends `s` as a JSON string literal.
    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += Array(#"\""#.utf8)
            case UInt8(ascii: "\\"): out += Array(#"\\"#.utf8)
            case 0..<0x20: out += Array(String(format: "\\u%04x", byte).utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        appendString(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
