import Foundation
import Logging
import Testing
@testable import GatewayServer

@Suite struct JSONLogHandlerTests {
    @Test func aRecordIsOneJSONLineWithItsMetadata() throws {
        let bytes = JSONLogHandler.line(epochMilliseconds: 1_764_220_800_123, level: .info, label: "portcullis.functions",
                                        message: "line with \"quotes\"\nand a break",
                                        metadata: ["function": "greeter", "requestId": "r-1", "stream": "stdout"])
        #expect(bytes.last == UInt8(ascii: "\n") && bytes.dropLast().contains(UInt8(ascii: "\n")) == false)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: String])
        #expect(object == ["time": "2025-11-27T05:20:00.123Z", "level": "info", "label": "portcullis.functions",
                           "message": "line with \"quotes\"\nand a break", "function": "greeter", "requestId": "r-1",
                           "stream": "stdout"])
    }
}
