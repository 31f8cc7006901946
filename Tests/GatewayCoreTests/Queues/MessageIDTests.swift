import GatewayCore
import Testing

/// Message ids are RFC 9562 version-7 UUIDs: the send time's milliseconds first, so ids sort by time.
struct MessageIDTests {
    @Test func anIdIsAVersion7UUIDStartingWithItsMilliseconds() {
        let milliseconds: Int64 = 0x0190_1234_5678
        for _ in 0..<200 {
            let id = MessageID.make(epochMilliseconds: milliseconds)
            let parts = id.split(separator: "-").map(String.init)
            #expect(parts.map(\.count) == [8, 4, 4, 4, 12], "\(id)")
            #expect(id.allSatisfy { "0123456789abcdef-".contains($0) }, "lowercase hex: \(id)")
            #expect(parts[0] + parts[1] == "019012345678", "the time: \(id)")
            #expect(parts[2].first == "7", "version 7: \(id)")
            #expect("89ab".contains(parts[3].first!), "variant 10: \(id)")
        }
        let ids = (0..<100).map { MessageID.make(epochMilliseconds: milliseconds + $0) }
        #expect(ids == ids.sorted(), "later milliseconds sort later")
        #expect(Set((0..<1000).map { _ in MessageID.make(epochMilliseconds: milliseconds) }).count == 1000, "random below the millisecond")
    }
}
