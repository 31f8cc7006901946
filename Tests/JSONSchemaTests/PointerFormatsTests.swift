import Testing
@testable import JSONSchema

@Suite struct PointerFormatsTests {
    @Test func jsonPointers() {
        for valid in ["", "/", "/foo", "/foo/0", "/a~1b", "/m~0n", "/ ", "//"] {
            #expect(PointerFormats.isJSONPointer(Substring(valid)), "\(valid)")
        }
        for invalid in ["foo", "/~", "/~2", "/a~", "#/a"] {
            #expect(!PointerFormats.isJSONPointer(Substring(invalid)), "\(invalid)")
        }
    }

    @Test func relativeJSONPointers() {
        for valid in ["0", "1#", "0/foo", "12/a~1b", "0#"] {
            #expect(PointerFormats.isRelativeJSONPointer(valid), "\(valid)")
        }
        for invalid in ["", "/foo", "01", "-1", "0##", "1/~2", "#"] {
            #expect(!PointerFormats.isRelativeJSONPointer(invalid), "\(invalid)")
        }
    }

    @Test func formatNamesAreKnown() {
        for name in ["regex", "json-pointer", "relative-json-pointer"] {
            #expect(FormatChecker(name: name) != nil, "\(name)")
        }
        #expect(FormatChecker(name: "regex")?.isValid("^(a|b)+$") == true)
        #expect(FormatChecker(name: "regex")?.isValid("^[a-") == false)
    }
}
