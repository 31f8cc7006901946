import Testing
@testable import JSONSchema

@Suite struct URIReferenceTests {
    // RFC 3986 §5.4 examples.
    @Test(arguments: [
        ("g", "http://a/b/c/g"), ("./g", "http://a/b/c/g"), ("g/", "http://a/b/c/g/"), ("/g", "http://a/g"),
        ("//g", "http://g"), ("?y", "http://a/b/c/d;p?y"), ("g?y", "http://a/b/c/g?y"), ("#s", "http://a/b/c/d;p?q#s"),
        ("", "http://a/b/c/d;p?q"), (".", "http://a/b/c/"), ("..", "http://a/b/"), ("../g", "http://a/b/g"),
        ("../../g", "http://a/g"), ("../../../g", "http://a/g"), ("/./g", "http://a/g"), ("g.", "http://a/b/c/g."),
        ("urn:x:y", "urn:x:y"),
    ])
    func resolvesRFCExamples(reference: String, expected: String) {
        #expect(URIReference("http://a/b/c/d;p?q").resolving(reference).text == expected)
    }

    @Test func fragmentsOnURNs() {
        let base = URIReference("urn:uuid:deadbeef-1234-ffff-ffff-4321feebdaed")
        #expect(base.resolving("#/$defs/x").text == "urn:uuid:deadbeef-1234-ffff-ffff-4321feebdaed#/$defs/x")
    }

    @Test func percentDecoding() {
        #expect(URIReference.percentDecoded("/a%25b/%7e") == "/a%b/~")
    }
}
