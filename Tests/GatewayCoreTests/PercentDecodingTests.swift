import GatewayCore
import Testing

@Suite struct PercentDecodingTests {
    @Test func decodesEscapesAndKeepsPlus() {
        #expect(PercentDecoding.decode("a%20b") == "a b")
        #expect(PercentDecoding.decode("a+b") == "a+b")
        #expect(PercentDecoding.decode("%E2%9C%93") == "✓")
        #expect(PercentDecoding.decode("plain") == "plain")
        #expect(PercentDecoding.decode("%2f%2F") == "//")
    }

    @Test func malformedEscapesAndInvalidUTF8AreRejected() {
        #expect(PercentDecoding.decode("%") == nil)
        #expect(PercentDecoding.decode("%4") == nil)
        #expect(PercentDecoding.decode("%zz") == nil)
        #expect(PercentDecoding.decode("%FF") == nil, "not UTF-8")
    }
}
