import JSONSchema

/// Parameters arrive as strings; the contract converts them for `integer`, `number` and `boolean` schemas before
/// checking, so `?limit=10` satisfies `{"type": "integer"}`. The schema's own `type` decides (a `$ref` does not).
public struct ParameterCoercion: Sendable, Equatable {
    public var integer = false
    public var number = false
    public var boolean = false

    public init(integer: Bool = false, number: Bool = false, boolean: Bool = false) {
        self.integer = integer
        self.number = number
        self.boolean = boolean
    }

    /// From a schema's `type` keyword: a name or a list of names.
    public init(schemaType: JSONInstance?) {
        var names: [String] = []
        switch schemaType {
        case .string(let name)?: names = [name]
        case .array(let items)?: names = items.compactMap(\.stringValue)
        default: break
        }
        self.init(integer: names.contains("integer"), number: names.contains("number"), boolean: names.contains("boolean"))
    }

    /// The value the schema sees: a number or boolean when the text is one and the schema allows it, else the string.
    public func convert(_ text: String) -> JSONInstance {
        if integer || number, let value = JSONNumber(text), number || value.isInteger {
            return .number(value)
        }
        if boolean {
            if text == "true" { return .bool(true) }
            if text == "false" { return .bool(false) }
        }
        return .string(text)
    }
}
