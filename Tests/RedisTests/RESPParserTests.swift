import NIOCore
import Redis
import Testing

@Suite struct RESPParserTests {
    /// All replies in `text`, fed in pieces of `chunk` bytes (1 = byte by byte).
    func replies(_ text: String, chunk: Int = .max, limits: RESPParser.Limits = RESPParser.Limits()) throws -> [RESPValue] {
        var parser = RESPParser(limits: limits)
        var buffer = ByteBuffer()
        var out: [RESPValue] = []
        let bytes = Array(text.utf8)
        var offset = 0
        repeat {
            let end = min(bytes.count, offset + max(chunk, 1))
            buffer.writeBytes(bytes[offset..<end])
            offset = end
            while let value = try parser.next(from: &buffer) { out.append(value) }
        } while offset < bytes.count
        #expect(buffer.readableBytes == 0, "bytes left over")
        return out
    }

    func error(_ text: String, limits: RESPParser.Limits = RESPParser.Limits()) -> String? {
        do {
            _ = try replies(text, limits: limits)
            return nil
        } catch {
            return (error as? RESPError)?.message ?? "\(error)"
        }
    }

    func bulk(_ text: String) -> RESPValue { .bulkString(ByteBuffer(string: text)) }

    @Test func resp2Types() throws {
        let text = "+OK\r\n-ERR wrong\r\n:-42\r\n$5\r\nhe\nlo\r\n$0\r\n\r\n$-1\r\n*-1\r\n*2\r\n:1\r\n$1\r\nx\r\n*0\r\n"
        let expected: [RESPValue] = [.simpleString("OK"), .error("ERR wrong"), .integer(-42), bulk("he\nlo"), bulk(""),
                                     .null, .null, .array([.integer(1), bulk("x")]), .array([])]
        #expect(try replies(text) == expected)
        #expect(try replies(text, chunk: 1) == expected, "the same replies arriving one byte at a time")
    }

    @Test func resp3Types() throws {
        let text = "_\r\n#t\r\n#f\r\n,3.5\r\n,-inf\r\n(123456789012345678901234567890\r\n!9\r\nERR blob!\r\n"
            + "=8\r\ntxt:hola\r\n%1\r\n+k\r\n:1\r\n~2\r\n:1\r\n:2\r\n>2\r\n+message\r\n+x\r\n"
        let got = try replies(text, chunk: 3)
        #expect(got[0] == .null && got[1] == .boolean(true) && got[2] == .boolean(false))
        #expect(got[3] == .double(3.5) && got[4] == .double(-.infinity))
        #expect(got[5] == .bigNumber("123456789012345678901234567890"))
        #expect(got[6] == .error("ERR blob!"))
        #expect(got[7] == .verbatimString(format: "txt", text: ByteBuffer(string: "hola")))
        #expect(got[8] == .map([(key: .simpleString("k"), value: .integer(1))]))
        #expect(got[9] == .set([.integer(1), .integer(2)]))
        #expect(got[10] == .push([.simpleString("message"), .simpleString("x")]))
    }

    @Test func nestedAggregatesAcrossReads() throws {
        let text = "*3\r\n*2\r\n:1\r\n*1\r\n$3\r\nabc\r\n%0\r\n*1\r\n*0\r\n"
        let expected: RESPValue = .array([.array([.integer(1), .array([bulk("abc")])]), .map([]), .array([.array([])])])
        for chunk in [1, 2, 5, 7, 100] { #expect(try replies(text, chunk: chunk) == [expected], "chunk \(chunk)") }
    }

    @Test func aLargeArrayArrivingInPiecesIsParsedOnce() throws {
        let count = 50_000
        let text = "*\(count)\r\n" + String(repeating: ":7\r\n", count: count)
        let got = try replies(text, chunk: 1000)
        #expect(got.count == 1 && got[0].array?.count == count)
    }

    @Test func refusesWhatIsNotRESP() {
        #expect(error("?x\r\n") == "unknown reply type byte 63")
        #expect(error("+OK\n") == "line not ended by CRLF")
        #expect(error("+O\rK\r\n") == "bare CR in a line")
        #expect(error(":12a\r\n") == "invalid number")
        #expect(error(":\r\n") == "invalid number")
        #expect(error(":99999999999999999999\r\n") == "integer out of range")
        #expect(error("$3\r\nabcd\r\n") == "bulk string not followed by CRLF")
        #expect(error("$-2\r\n") == "bulk length -2 outside 0...67108864")
        #expect(error("*-2\r\n") == "aggregate count -2 outside 0...1048576")
        #expect(error("#x\r\n") == "invalid boolean")
        #expect(error(",1.2.x\r\n") == "invalid double")
        #expect(error("_x\r\n") == "null with a payload")
        #expect(error("=3\r\ntxt\r\n") == "verbatim string without a format")
        #expect(error("|1\r\n+a\r\n+b\r\n+OK\r\n") == "RESP3 attributes are not accepted")
    }

    @Test func boundsAreCheckedBeforeAnythingIsAllocated() {
        var limits = RESPParser.Limits()
        limits.maxBulkLength = 10
        limits.maxAggregateCount = 4
        limits.maxDepth = 2
        limits.maxLineLength = 16
        limits.maxReplyBytes = 64
        #expect(error("$11\r\n", limits: limits) == "bulk length 11 outside 0...10")
        #expect(error("*5\r\n", limits: limits) == "aggregate count 5 outside 0...4")
        #expect(error("%3\r\n", limits: limits) == "aggregate count 3 outside 0...4", "map pairs count twice")
        #expect(error("*1\r\n*1\r\n*1\r\n:1\r\n", limits: limits) == "replies nested deeper than 2")
        #expect(error("+" + String(repeating: "a", count: 40), limits: limits) == "line longer than 16 bytes")
        #expect(error("*4\r\n$10\r\naaaaaaaaaa\r\n$10\r\naaaaaaaaaa\r\n$10\r\naaaaaaaaaa\r\n$10\r\naaaaaaaaaa\r\n",
                      limits: limits) == "reply larger than 64 bytes")
    }

    @Test func anIncompleteReplyWaitsAndConsumesNothing() throws {
        var parser = RESPParser()
        var buffer = ByteBuffer(string: "$10\r\nabc")
        #expect(try parser.next(from: &buffer) == nil)
        #expect(buffer.readableBytes == 8)
        buffer.writeString("defghij\r\n+next\r\n")
        #expect(try parser.next(from: &buffer) == bulk("abcdefghij"))
        #expect(try parser.next(from: &buffer) == .simpleString("next"))
    }
}
