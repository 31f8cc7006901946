import Foundation
import Testing
@testable import GatewayServer

@Suite struct AccessLogEntryTests {
    @Test func rfc3339MatchesFoundationForManyInstants() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        for millis: Int64 in [0, 951_782_400_123, 1_709_251_199_999, 4_102_444_800_000, 1_795_000_000_001] {
            let expected = formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
            #expect(RFC3339.format(epochMilliseconds: millis) == expected)
        }
    }

    @Test func lineHasContractFieldsAndOmitsEmptyOnes() throws {
        var entry = AccessLogEntry(
            epochMilliseconds: 0, requestId: "r1", clientIp: "127.0.0.1", method: "GET", host: "a.test",
            path: "/p\"q", httpProtocol: "HTTP/1.1", status: 200, bytes: 12, latencyMs: 1.5,
            integrationLatencyMs: 0.25, api: "orders", route: "GET /p", errorCode: nil)
        var bytes: [UInt8] = []
        entry.append(to: &bytes)
        #expect(bytes.last == UInt8(ascii: "\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["time"] as? String == "1970-01-01T00:00:00.000Z")
        #expect(object["path"] as? String == "/p\"q")
        #expect(object["status"] as? Int == 200)
        #expect(object["latencyMs"] as? Double == 1.5)
        #expect(object["integrationLatencyMs"] as? Double == 0.25)
        #expect(object["route"] as? String == "GET /p")
        #expect(object["errorCode"] == nil)
        entry.api = nil
        entry.route = nil
        entry.host = nil
        entry.integrationLatencyMs = nil
        entry.errorCode = "RESOURCE_NOT_FOUND"
        bytes = []
        entry.append(to: &bytes)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(Set(second.keys) == ["time", "requestId", "clientIp", "method", "path", "protocol", "status", "bytes",
                                     "latencyMs", "errorCode"])
    }
}
