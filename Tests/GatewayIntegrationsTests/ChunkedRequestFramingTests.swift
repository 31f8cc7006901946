import GatewayIntegrations
import NIOCore
import Testing

@Suite struct ChunkedRequestFramingTests {
    @Test(arguments: [(1, "1"), (9, "9"), (10, "a"), (15, "f"), (16, "10"), (255, "ff"), (256, "100"),
                      (65536, "10000"), (Int.max, "7fffffffffffffff")])
    func sizeLineIsLowerCaseHexThenCRLF(size: Int, hex: String) {
        var buffer = ByteBuffer()
        ChunkedRequestFraming.writeSizeLine(&buffer, size: size)
        #expect(String(buffer: buffer) == hex + "\r\n")
        #expect(buffer.readableBytes <= ChunkedRequestFraming.maxSizeLineLength)
    }

    @Test func chunkEndAndLastChunk() {
        #expect(String(buffer: ChunkedRequestFraming.chunkEnd) == "\r\n")
        #expect(String(buffer: ChunkedRequestFraming.lastChunk) == "0\r\n\r\n")
    }
}
