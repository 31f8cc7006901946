import Testing
@testable import GatewayCore

@Suite struct JSONEscapingTests {
    @Test func plainText() {
        #expect(JSONEscaping.quoted("hello") == #""hello""#)
        #expect(JSONEscaping.quoted("") == #""""#)
        #expect(JSONEscaping.quoted("a/b") == #""a/b""#)  // "/" needs no escape
    }

    @Test func quotesAndBackslashes() {
        #expect(JSONEscaping.quoted(#"say "hi""#) == #""say \"hi\"""#)
        #expect(JSONEscaping.quoted(#"C:\path\"#) == #""C:\\path\\""#)
    }

    @Test func controlCharacters() {
        #expect(JSONEscaping.quoted("a\nb\rc\td\u{8}e\u{C}f") == #""a\nb\rc\td\be\ff""#)
        #expect(JSONEscaping.quoted("\u{0}\u{1}\u{1F}") == #""\u0000\u0001\u001f""#)
        #expect(JSONEscaping.quoted("\u{7F}") == "\"\u{7F}\"")  // DEL is not a JSON control character
    }

    @Test func nonASCIIPassesThroughAsUTF8() {
        #expect(JSONEscaping.quoted("café ✓ 🚀 \u{2028}") == "\"café ✓ 🚀 \u{2028}\"")
        var out: [UInt8] = []
        JSONEscaping.appendQuoted("é", to: &out)
        #expect(out == [0x22, 0xC3, 0xA9, 0x22])
    }

    @Test func appendsToExistingBufferAndTakesSubstrings() {
        var out: [UInt8] = Array("x=".utf8)
        let s: Substring = "[a\"b]".dropFirst().dropLast()
        JSONEscaping.appendQuoted(s, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"x="a\"b""#)
    }

    @Test func everyControlCharacterIsEscaped() {
        for v in 0..<0x20 {
            let quoted = JSONEscaping.quoted(String(Unicode.Scalar(UInt8(v))))
            #expect(quoted.utf8.allSatisfy { $0 >= 0x20 }, "U+\(v)")
            #expect(quoted.hasPrefix("\"\\"))
        }
    }
}
