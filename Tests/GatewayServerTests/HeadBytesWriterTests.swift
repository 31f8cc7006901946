@testable import GatewayServer
import NIOCore
import Testing

@Suite struct HeadBytesWriterTests {
    func written(bound: Int = 256, _ body: (inout HeadBytesWriter) -> Void) -> String {
        "before|" + String(buffer: HeadBytesWriter.buffer(ByteBufferAllocator(), bound: bound, body))
    }

    @Test func appendsPiecesInOrder() {
        #expect(written { $0.append("GET "); $0.append("/a" as Substring); $0.append(byte: 0x21) } == "before|GET /a!")
    }

    @Test func theBufferHasExactlyTheBoundAsCapacity() {
        let buffer = HeadBytesWriter.buffer(ByteBufferAllocator(), bound: 300) { $0.append("abc") }
        #expect(buffer.readableBytes == 3 && buffer.capacity >= 300)
    }

    @Test func insertedValuesCannotEndALine() {
        #expect(written { $0.appendFieldValue("a\r\nb\u{0}c") } == "before|a  b c")
        #expect(written { $0.appendFieldValue("plain") } == "before|plain")
    }

    @Test func targetPiecesArePercentEncodedWhereTheyCouldSplitTheRequestLine() {
        #expect(written { $0.appendTargetPiece("/a b\r\n\u{7F}") } == "before|/a%20b%0D%0A%7F")
        #expect(written { $0.appendTargetPiece("/é") } == "before|/é")
    }

    @Test func decimals() {
        #expect(written { $0.append(decimal: 0); $0.append(byte: 32); $0.append(decimal: 1234567890) } == "before|0 1234567890")
    }

    @Test func aBoundCanBeFilledExactly() {
        let long = String(repeating: "x", count: 5000)
        #expect(written(bound: 5000) { $0.append(long) }.count == 5007)
    }
}
