import Testing
@testable import GatewayCore

@Suite struct PathSegmentsTests {
    @Test func byteKeyComparesBytesNotCanonicalEquivalence() {
        #expect(ByteKey("café") == ByteKey(Substring("café")))
        #expect(ByteKey("café") != ByteKey("cafe\u{301}"))  // String == would say equal
        #expect("café" == "cafe\u{301}")
        var set: Set<ByteKey> = [ByteKey("a"), ByteKey("b")]
        let path: Substring = "/x/a/y"
        #expect(set.contains(ByteKey(path.dropFirst(3).prefix(1))))
        set.insert(ByteKey(path.dropFirst(3).prefix(1)))
        #expect(set.count == 2)
    }

    @Test func scanSkipsEmptySegments() {
        let path: Substring = "//a///bc/"
        var from = path.startIndex
        var seen: [Substring] = []
        while let r = PathScan.nextSegment(path, from: from) {
            seen.append(path[r])
            from = r.upperBound
        }
        #expect(seen == ["a", "bc"])
        #expect(PathScan.nextSegment("", from: "".startIndex) == nil)
        #expect(PathScan.nextSegment("///", from: "///".startIndex) == nil)
    }
}
