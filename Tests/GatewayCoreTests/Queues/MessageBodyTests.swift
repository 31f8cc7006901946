import GatewayCore
import Testing

/// Queue message bodies follow SQS's rules, so a consumer never meets a body SQS would have refused.
struct MessageBodyTests {
    @Test func textWithinTheBoundIsAccepted() {
        #expect(MessageBody.check(Array(#"{"order": 1, "note": "tab\tnewline\n, é, 日本, 🎉"}"#.utf8)) == nil)
        #expect(MessageBody.check([UInt8](repeating: 0x61, count: MessageBody.maxBytes)) == nil)
    }

    @Test func emptyOversizedAndNonTextBodiesAreRefused() {
        #expect(MessageBody.check([UInt8]()) == .empty)
        #expect(MessageBody.check([UInt8](repeating: 0x61, count: MessageBody.maxBytes + 1)) == .tooLarge)
        #expect(MessageBody.check([0x61, 0x00, 0x62]) == .notText(offset: 1), "NUL")
        #expect(MessageBody.check([0x61, 0x1B]) == .notText(offset: 1), "escape")
        #expect(MessageBody.check([0x61, 0x62, 0xFF]) == .notText(offset: 2), "not UTF-8")
        #expect(MessageBody.check([0xED, 0xA0, 0x80]) == .notText(offset: 0), "an encoded surrogate")
        #expect(MessageBody.check(Array("ok\u{FFFF}".utf8)) == .notText(offset: 2), "a noncharacter SQS refuses")
        #expect(MessageBody.check([0xC3]) == .notText(offset: 0), "cut in the middle of a character")
    }
}
