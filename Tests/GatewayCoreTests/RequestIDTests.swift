import Testing
@testable import GatewayCore

@Suite struct RequestIDTests {
    @Test func acceptsContractCharacters() {
        #expect(RequestID.isValidIncoming("a"))
        #expect(!RequestID.isValidIncoming("Root=1-5759e988-bd862e3fe1be46a994272793"))
        #expect(RequestID.isValidIncoming("5759e988-bd86-2e3f-e1be-46a994272793"))
        #expect(RequestID.isValidIncoming("abc-DEF_123.x:y"))
        #expect(RequestID.isValidIncoming(Substring(String(repeating: "z", count: 128))))
    }

    @Test(arguments: ["", " ", "a b", "a/b", "a=b", "é", "a\n", "<script>", "a,b", "\"x\""])
    func rejectsOtherCharacters(_ value: String) {
        #expect(!RequestID.isValidIncoming(Substring(value)))
    }

    @Test func rejectsTooLong() {
        #expect(!RequestID.isValidIncoming(Substring(String(repeating: "z", count: 129))))
    }

    @Test func generatedIdsAreValidAndUnique() {
        var g = RequestIDGenerator()
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let id = g.next()
            #expect(RequestID.isValidIncoming(Substring(id)))
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
        var other = RequestIDGenerator()
        #expect(!seen.contains(other.next()))  // independent random seed
    }

    @Test func generatedFormat() {
        var g = RequestIDGenerator(seed: 0x0123_4567_89AB_CDEF)
        #expect(g.next() == "0123456789abcdef-00000001")
        #expect(g.next() == "0123456789abcdef-00000002")
        for _ in 0..<13 { _ = g.next() }
        #expect(g.next() == "0123456789abcdef-00000010")
    }

    @Test func counterWidthGrows() {
        var g = RequestIDGenerator(seed: 0, counter: 0xFFFF_FFFE)
        #expect(g.next() == "0000000000000000-ffffffff")
        #expect(g.next() == "0000000000000000-100000000")
        var last = RequestIDGenerator(seed: .max, counter: .max - 1)
        #expect(last.next() == "ffffffffffffffff-ffffffffffffffff")
    }
}
