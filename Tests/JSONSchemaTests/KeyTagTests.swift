import Testing
@testable import JSONSchema

@Suite struct KeyTagTests {
    @Test func shortNamesArePackedExactly() {
        #expect(KeyTag("id") == KeyTag("id"))
        #expect(KeyTag("id") != KeyTag("ic"))
        #expect(KeyTag("") != KeyTag("\u{0}"))  // the length is part of the tag
        #expect(KeyTag("a") != KeyTag("a\u{0}"))
        #expect(KeyTag("shippingAddress").isExact)  // 15 bytes
        #expect(!KeyTag("billingAddresses").isExact)  // 16 bytes
    }

    @Test func longNamesMatchOnlyByTheirBytes() {
        let long = "shippingAddressLine1"
        let sameStart = "shippingAddressLine2"
        #expect(KeyTag(long).matches(KeyTag(long), long, long))
        #expect(!KeyTag(long).matches(KeyTag(sameStart), long, sameStart))
        let veryLong = String(repeating: "k", count: 300)
        #expect(KeyTag(veryLong).matches(KeyTag(veryLong), veryLong, veryLong))
        #expect(!KeyTag(veryLong + "x").matches(KeyTag(veryLong + "y"), veryLong + "x", veryLong + "y"))
    }

    /// The parser tags a key from its raw bytes when it has no escapes, and from the decoded text otherwise: both
    /// must give the tag lookups compute from a `String`.
    @Test func escapedAndRawKeysTagAlike() throws {
        let object = try JSONInstance.parse(#"{"a\u0062": 1, "shippingAddress\u004c": 2, "plain": 3, "é": 4}"#).objectValue!
        #expect(object["ab"] == .number(JSONNumber(1)))
        #expect(object["shippingAddressL"] == .number(JSONNumber(2)))
        #expect(object["plain"] == .number(JSONNumber(3)))
        #expect(object["\u{E9}"] == .number(JSONNumber(4)))
        #expect(object["e\u{301}"] == nil)
        #expect(throws: JSONParseError.self) { try JSONInstance.parse(#"{"ab": 1, "a\u0062": 2}"#) }
        #expect(throws: JSONParseError.self) {
            try JSONInstance.parse(#"{"shippingAddressLine1": 1, "shippingAddress\u004cine1": 2}"#)
        }
    }
}
