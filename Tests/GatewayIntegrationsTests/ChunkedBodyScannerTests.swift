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

    /// The error message for `text` fed in one read, or nil when the scanner took it (finished or not).
    func failure(_ text: String) -> String? {
        var scanner = ChunkedBodyScanner()
        do throws(UpstreamProtocolError) {
            _ = try scanner.scan(ByteBuffer(string: text).readableBytesView)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func acceptsExtensionsAsRFC9112WritesThem() throws {
        let bodies = [
            "5;a\r\nhello\r\n0\r\n\r\n",
            "5;a=b\r\nhello\r\n0\r\n\r\n",
            "5;a=b;c;d=e\r\nhello\r\n0;last=1\r\n\r\n",
            #"5;name="quoted ; value \" \\ x""# + "\r\nhello\r\n0\r\n\r\n",
            "5;q=\"\"\r\nhello\r\n0\r\n\r\n",
            "5;q=\"a\tb\"\r\nhello\r\n0\r\n\r\n",
            "5;!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~\r\nhello\r\n0\r\n\r\n",
        ]
        for body in bodies {
            let result = try scan([body])
            #expect(result.finished, "\(body.debugDescription)")
            #expect(result.payload == "hello", "\(body.debugDescription)")
            #expect(result.end == body.utf8.count, "\(body.debugDescription)")
        }
    }

    @Test func acceptsTrailersAndLeadingZeros() throws {
        let bodies = [
            "5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Empty:\r\nX-Spaced:  v  w \r\n\r\n",
            "0005\r\nhello\r\n000\r\n\r\n",
            "5\r\nhello\r\n0\r\nX: \u{80}\u{FF} obs-text\r\n\r\n",
        ]
        for body in bodies {
            let result = try scan([body])
            #expect(result.finished, "\(body.debugDescription)")
            #expect(result.payload == "hello", "\(body.debugDescription)")
        }
        // The largest size allowed (2^60 - 1), however many leading zeros it comes with.
        #expect(failure("FFFFFFFFFFFFFFF\r\n") == nil)
        #expect(failure(String(repeating: "0", count: 100) + "FFFFFFFFFFFFFFF\r\n") == nil)
    }

    @Test func everySplitPointOfExtensionsAndTrailersGivesTheSameResult() throws {
        let body = #"3;a=b;q="x\"y";c"# + "\r\nabc\r\n2\r\nde\r\n0;z\r\nT-1: one\r\nT-2: two\r\n\r\n"
        let bytes = Array(body.utf8)
        for cut in 1..<bytes.count {
            let result = try scan([String(decoding: bytes[..<cut], as: UTF8.self), String(decoding: bytes[cut...], as: UTF8.self)])
            #expect(result.finished, "split at \(cut)")
            #expect(result.payload == "abcde", "split at \(cut)")
        }
    }

    @Test func refusesWhitespaceAndJunkInTheSizeLine() {
        // No BWS: llhttp (the request side) refuses it, so an upstream gets no more room than a client.
        #expect(failure("5 \r\nhello\r\n") == "invalid chunk size")
        #expect(failure("5 junk\r\nhello\r\n") == "invalid chunk size")
        #expect(failure("5\t\r\nhello\r\n") == "invalid chunk size")
        #expect(failure("5 ;a=b\r\nhello\r\n") == "invalid chunk size")
        #expect(failure("5x\r\nhello\r\n") == "invalid chunk size")
        #expect(failure("+5\r\nhello\r\n") == "invalid chunk size")
        #expect(failure("0x5\r\nhello\r\n") == "invalid chunk size")
        #expect(failure(" 5\r\nhello\r\n") == "invalid chunk size")
        #expect(failure("5; a=b\r\n") == "invalid chunk extension")
        #expect(failure("5;a =b\r\n") == "invalid chunk extension")
        #expect(failure("5;a= b\r\n") == "invalid chunk extension")
        #expect(failure("5;a=b \r\n") == "invalid chunk extension")
        #expect(failure("5;a\t\r\n") == "invalid chunk extension")
        #expect(failure("5;\r\n") == "invalid chunk extension")
        #expect(failure("5;;a\r\n") == "invalid chunk extension")
        #expect(failure("5;=b\r\n") == "invalid chunk extension")
        #expect(failure("5;a=\r\n") == "invalid chunk extension")
        #expect(failure("5;a==b\r\n") == "invalid chunk extension")
        #expect(failure("5;a=b=c\r\n") == "invalid chunk extension")
        #expect(failure("5;a=\"b\"c\r\n") == "invalid chunk extension")
        #expect(failure("5;a=\"b\r\n") == "invalid chunk extension", "a CR inside a quoted string")
        #expect(failure("5;a=\"b\\\r\n") == "invalid chunk extension", "a CR in a quoted pair")
        #expect(failure("5;a=\"b\u{7F}\"\r\n") == "invalid chunk extension")
        #expect(failure("5;a@b\r\n") == "invalid chunk extension")
        #expect(failure("5;a=b\0\r\n") == "invalid chunk extension")
    }

    @Test func refusesABareLFOrCRAnywhere() {
        #expect(failure("5\nhello\r\n0\r\n\r\n") == "invalid chunk size")
        #expect(failure("5;a=b\nhello\r\n0\r\n\r\n") == "invalid chunk extension")
        #expect(failure("5;a\nhello\r\n0\r\n\r\n") == "invalid chunk extension")
        #expect(failure("5;a=\"b\"\nhello\r\n0\r\n\r\n") == "invalid chunk extension")
        #expect(failure("5\r\rhello\r\n0\r\n\r\n") == "missing LF after chunk size")
        #expect(failure("5\r\nhello\n0\r\n\r\n") == "missing CRLF after chunk data")
        #expect(failure("5\r\nhello\r0\r\n\r\n") == "missing CRLF after chunk data")
        #expect(failure("5\r\nhello\r\n0\n\r\n") == "invalid chunk size")
        // Where a trailer line starts (the final empty line included) and at the end of one.
        #expect(failure("5\r\nhello\r\n0\r\n\n") == "invalid trailer line")
        #expect(failure("5\r\nhello\r\n0\r\n\nHTTP/1.1 200 OK\r\n") == "invalid trailer line")
        #expect(failure("0\r\nX: 1\n\r\n") == "invalid trailer line")
        #expect(failure("0\r\nX: 1\r\n\n") == "invalid trailer line")
        #expect(failure("0\r\nX: 1\r\r\n\r\n") == "invalid trailer line")
        #expect(failure("0\r\nX: 1\r\n\r\r") == "missing final CRLF")
    }

    @Test func refusesMalformedTrailerLines() {
        #expect(failure("0\r\n folded: v\r\n\r\n") == "invalid trailer line")
        #expect(failure("0\r\n\tfolded: v\r\n\r\n") == "invalid trailer line")
        #expect(failure("0\r\nX: 1\r\n continued\r\n\r\n") == "invalid trailer line")
        #expect(failure("0\r\n: v\r\n\r\n") == "invalid trailer line")
        #expect(failure("0\r\nNoColon\r\n\r\n") == "invalid trailer line")
        #expect(failure("0\r\nX : v\r\n\r\n") == "invalid trailer line")
        #expect(failure("0\r\nX(y): v\r\n\r\n") == "invalid trailer line")
        #expect(failure("0\r\nX: a\0b\r\n\r\n") == "invalid trailer line")
    }

    @Test func boundsTheSizeLineAndTheTrailerSection() {
        #expect(failure("10000000000000000\r\n") == "chunk size too large")
        #expect(failure("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\r\n") == "chunk size too large")
        #expect(failure(String(repeating: "0", count: 8) + "1000000000000000\r\n") == "chunk size too large")

        // A line of exactly the bound, CRLF included, passes; one byte more does not.
        let limit = ChunkedBodyScanner.maxSizeLineLength
        let fits = "5;" + String(repeating: "a", count: limit - 4) + "\r\n"
        #expect(fits.utf8.count == limit)
        #expect(failure(fits) == nil)
        #expect(failure("5;" + String(repeating: "a", count: limit - 3) + "\r\n") == "chunk size line too long")
        #expect(failure(String(repeating: "0", count: limit)) == "chunk size line too long")
        #expect(failure("5;a=\"" + String(repeating: "q", count: limit)) == "chunk size line too long")

        let section = ChunkedBodyScanner.maxTrailerSectionSize
        let line = "X-T: " + String(repeating: "v", count: 93) + "\r\n"  // 100 bytes
        let lines = String(repeating: line, count: (section - 2) / 100)
        let padding = "Y: " + String(repeating: "w", count: (section - 2) % 100 - 5) + "\r\n"
        let exact = "0\r\n" + lines + padding + "\r\n"
        #expect(exact.utf8.count - 3 == section)
        #expect(failure(exact) == nil)
        let over = "0\r\n" + lines + "Y: " + String(repeating: "w", count: (section - 2) % 100 - 4) + "\r\n\r\n"
        #expect(failure(over) == "trailer section too large")
        #expect(failure("0\r\nX: " + String(repeating: "v", count: section)) == "trailer section too large")
    }
}
