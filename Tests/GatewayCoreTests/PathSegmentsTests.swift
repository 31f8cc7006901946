import Testing
@testable import GatewayCore

@Suite struct PathSegmentsTests {
    @Test func segmentMapIsByteExactAndPerParent() {
        var map = SegmentMap()
        map.insert(parent: 0, "café", child: 1)
        map.insert(parent: 1, "café", child: 2)
        map.insert(parent: 0, "a", child: 3)
        #expect(map.lookup(parent: 0, "café") == 1)
        #expect(map.lookup(parent: 1, "café") == 2)
        #expect(map.lookup(parent: 2, "café") == -1)
        #expect(map.lookup(parent: 0, "cafe\u{301}") == -1)  // canonically equivalent, different bytes
        #expect("café" == "cafe\u{301}")                       // which String equality would have matched
        #expect(map.lookup(parent: 0, "A") == -1)
        #expect(map.lookup(parent: 0, "") == -1)
    }

    @Test func segmentMapGrows() {
        var map = SegmentMap()
        for i in 0..<5_000 { map.insert(parent: Int32(i % 7), "k\(i)", child: Int32(i)) }
        #expect(map.count == 5_000)
        for i in stride(from: 0, to: 5_000, by: 13) {
            #expect(map.lookup(parent: Int32(i % 7), "k\(i)") == Int32(i))
            #expect(map.lookup(parent: Int32((i + 1) % 7), "k\(i)") == -1)
        }
    }

    @Test func scanSkipsEmptySegments() {
        let path: Substring = "//a///bc/"
        let seen = PathScan.withBytes(path) { bytes -> [Substring] in
            var out: [Substring] = []
            var from = 0
            while let r = PathScan.nextSegment(bytes, from: from) {
                out.append(PathScan.slice(path, r))
                from = r.upperBound
            }
            return out
        }
        #expect(seen == ["a", "bc"])
        #expect(PathScan.withBytes("") { PathScan.nextSegment($0, from: 0) } == nil)
        #expect(PathScan.withBytes("///") { PathScan.nextSegment($0, from: 0) } == nil)
    }

    @Test func sliceKeepsIndicesOfTheOriginal() {
        let path: Substring = "xx/ab/cd".dropFirst(2)
        let s = PathScan.slice(path, 1..<3)
        #expect(s == "ab")
        #expect(s.startIndex == path.index(path.startIndex, offsetBy: 1))
    }
}
