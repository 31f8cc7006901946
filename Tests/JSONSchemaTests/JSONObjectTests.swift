import Testing
@testable import JSONSchema

@Suite struct JSONObjectTests {
    @Test func lookupWorksBelowAndAboveTheIndexThreshold() {
        var object = JSONObject()
        for index in 0..<20 {
            object["k\(index)"] = .number(JSONNumber(index))
            #expect(object["k0"] == .number(JSONNumber(0)))
            #expect(object["k\(index)"] == .number(JSONNumber(index)))
        }
        #expect(object.count == 20)
        #expect(object["missing"] == nil)
        object["k3"] = nil
        #expect(object["k3"] == nil)
        #expect(object["k19"] == .number(JSONNumber(19)))
        #expect(object.keys.first == "k0")
    }

    @Test func equalityIgnoresOrder() {
        let a = JSONObject([("x", .null), ("y", .bool(true))])
        let b = JSONObject([("y", .bool(true)), ("x", .null)])
        #expect(a == b)
        #expect(a != JSONObject([("x", .null)]))
    }
}
