import GatewayCore
import NIOCore
import Testing

@Suite struct ByteBufferDecimalTests {
    @Test(arguments: [0, 7, 9, 10, 99, 100, 4096, 1_000_000_007, -1, -42, Int.max, Int.min])
    func writesWhatStringWould(_ value: Int) {
        var buffer = ByteBuffer(string: "x=")
        buffer.writeDecimal(value)
        buffer.writeStaticString(";")
        #expect(buffer.readString(length: buffer.readableBytes) == "x=\(value);")
    }
}
