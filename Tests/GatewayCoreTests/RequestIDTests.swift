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
        // The seed's low 45 bits, 0x0_0567_89AB_CDEF, in 9 base32 digits, then the counter in 6.
        #expect(g.next() == "5cu4qnjff000001")
        #expect(g.next() == "5cu4qnjff000002")
        for _ in 0..<28 { _ = g.next() }
        #expect(g.next() == "5cu4qnjff00000v")
        #expect(g.next() == "5cu4qnjff000010")
    }

    @Test func idsAreSmallStringsUntilTheCounterOutgrowsSixDigits() {
        var g = RequestIDGenerator(seed: 0, counter: 1 << 30 - 2)
        let sixDigits = g.next()
        #expect(sixDigits == "000000000vvvvvv")
        #expect(sixDigits.utf8.withContiguousStorageIfAvailable { _ in true } != nil)
        #expect(g.next() == "0000000001000000")
        var last = RequestIDGenerator(seed: .max, counter: .max - 1)
        #expect(last.next() == "vvvvvvvvvfvvvvvvvvvvvv")
    }
}
