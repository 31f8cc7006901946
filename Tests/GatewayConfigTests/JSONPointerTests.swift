import Testing
@testable import GatewayConfig

@Suite struct JSONPointerTests {
    @Test func escapesTildeBeforeSlash() {
        #expect(JSONPointer.escape("a/b") == "a~1b")
        #expect(JSONPointer.escape("m~n") == "m~0n")
        #expect(JSONPointer.escape("~1") == "~01")
        #expect(JSONPointer.escape("plain") == "plain")
    }

    @Test func unescapes() {
        #expect(JSONPointer.unescape("a~1b") == "a/b")
        #expect(JSONPointer.unescape("~01") == "~1")
        #expect(JSONPointer.unescape("bad~2") == nil)
        #expect(JSONPointer.unescape("bad~") == nil)
    }

    @Test func appendsAndSplits() {
        let pointer = JSONPointer.appending(JSONPointer.appending(JSONPointer.appending("", "paths"), "/orders/{id}"), 3)
        #expect(pointer == "/paths/~1orders~1{id}/3")
        #expect(JSONPointer.tokens(pointer) == ["paths", "/orders/{id}", "3"])
        #expect(JSONPointer.tokens("") == [])
        #expect(JSONPointer.tokens("/") == [""])
        #expect(JSONPointer.tokens("nope") == nil)
    }
}
