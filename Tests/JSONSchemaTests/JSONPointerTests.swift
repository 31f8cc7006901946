import Testing
@testable import JSONSchema

@Suite struct JSONPointerTests {
    @Test func escapesAndResolves() throws {
        let document = try JSONInstance.parse(#"{"a/b": {"m~n": [10, 20]}, "": 1}"#)
        #expect(JSONPointer.escape("a/b") == "a~1b")
        #expect(JSONPointer.resolve("/a~1b/m~0n/1", in: document) == .number(JSONNumber(20)))
        #expect(JSONPointer.resolve("/", in: document) == .number(JSONNumber(1)))
        #expect(JSONPointer.resolve("/a~1b/m~0n/01", in: document) == nil)
        #expect(JSONPointer.resolve("a", in: document) == nil)
        #expect(JSONPointer.tokens("/x~2") == nil)
    }
}
