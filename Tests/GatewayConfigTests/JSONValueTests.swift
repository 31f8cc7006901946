import Testing
@testable import GatewayConfig

@Suite struct JSONValueTests {
    @Test func serialisesCompactlyKeepingNumberTextAndOrder() throws {
        let value = try JSONParser.parse(#"{ "b": [1.50, -0, 1e3], "a": {"x": null, "y": true} }"#)
        #expect(String(decoding: value.serialized(), as: UTF8.self) == #"{"b":[1.50,-0,1e3],"a":{"x":null,"y":true}}"#)
    }

    @Test func escapesOnlyWhatJSONRequires() {
        let text = String(decoding: JSONValue.string("q\"b\\n\n\t\u{01}é/").serialized(), as: UTF8.self)
        #expect(text == #""q\"b\\n\n\t\u0001é/""#)
    }

    @Test func roundTripsThroughTheParser() throws {
        let original = #"{"s":"a\u0000b😀","n":[0,-1.5e-3,12345678901234567890],"o":{}}"#
        let value = try JSONParser.parse(original)
        #expect(try JSONParser.parse(value.serialized()) == value)
    }

    @Test func typeNames() {
        #expect(JSONValue.null.typeName == "null")
        #expect(JSONValue.bool(true).typeName == "boolean")
        #expect(JSONValue.string("").typeName == "string")
        #expect(JSONValue.array([]).typeName == "array")
        #expect(JSONValue.object(JSONObject(members: [])).typeName == "object")
        #expect(JSONValue.number(JSONNumber(text: "1", double: 1, int: 1)).typeName == "number")
    }
}
