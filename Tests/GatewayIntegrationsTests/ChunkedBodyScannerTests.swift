import GatewayIntegrations
import NIOCore
import Testing

@Suite struct ChunkedBodyScannerTests {
    /// Feeds `pieces` one by one, as separate reads; returns (end offset in the last piece, payload text).
    func scan(_ pieces: [String]) throws -> (end: Int?, payload: String, finished: Bool) {
        var scanner = ChunkedBodyScanner()
        var payload = ""
        var end: Int?
        for piece in pieces {
            let buffer = ByteBuffer(string: piece)
            let view = buffer.readableBytesView
            end = try scanner.scan(view) { range in
                payload += String(decoding: view[(view.startIndex + range.lowerBound)..<(view.startIndex + range.upperBound)],
                                  as: UTF8.self)
            }
            if end != nil { break }
        }
        return (end, payload, scanner.isFinished)
    }

    @Test func findsTheEndAndThePayload() throws {
        let body = "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\nNEXT"
        let result = try scan([body])
        #expect(result.finished)
        #expect(result.end == body.utf8.count - 4)
        #expect(result.payload == "hello, world")
    }

    @Test func handlesEverySplitPoint() throws {
        let body = "a\r\n0123456789\r\n1\r\nX\r\n0\r\nTrailer: v\r\n\r\n"
        let bytes = Array(body.utf8)
        for cut in 1..<bytes.count {
            let first = String(decoding: bytes[..<cut], as: UTF8.self)
            let second = String(decoding: bytes[cut...], as: UTF8.self)
            let result = try scan([first, second])
            #expect(result.finished, "split at \(cut)")
            #expect(result.payload == "0123456789X", "split at \(cut)")
            #expect(result.end == second.utf8.count, "split at \(cut)")
        }
    }

    @Test func upperAndLowerCaseHexSizes() throws {
        let result = try scan(["1A\r\n" + String(repeating: "z", count: 26) + "\r\n0\r\n\r\n"])
        #expect(result.payload.count == 26)
        #expect(result.finished)
    }

    @Test func refusesMalformedFraming() {
        func message(_ text: String) -> String? {
            var scanner = ChunkedBodyScanner()
            do throws(UpstreamProtocolError) {
                _ = try scanner.scan(ByteBuffer(string: text).readableBytesView)
                return nil
            } catch {
                return error.message
            }
        }
        #expect(message("g\r\n") == "invalid chunk size")
        #expect(message("\r\n") == "invalid chunk size")
        #expect(message("3\r\nabcX\r\n") == "missing CRLF after chunk data")
        #expect(message("3\nabc") == "invalid chunk size")
        #expect(message("1000000000000000\r\n") == "chunk size too large")
        #expect(message("0\r\nBad\nTrailer\r\n\r\n") == "invalid trailer line")
        #expect(message("0\r\n\rX") == "missing final CRLF")
    }
}
