import NIOCore
import Redis
import Testing

@Suite struct RESPEncoderTests {
    @Test func commandsAreArraysOfBulkStrings() {
        var buffer = ByteBuffer()
        RESPEncoder.write(["SET", "k\r\n", .bytes(ByteBuffer(bytes: [0, 255])), 42], into: &buffer)
        let expected = Array("*4\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$2\r\n".utf8) + [0, 255] + Array("\r\n$2\r\n42\r\n".utf8)
        #expect(Array(buffer.readableBytesView) == expected, "lengths, not escapes: any byte may be in an argument")
    }

    @Test func numbersAreWrittenAsTheirDecimalDigits() throws {
        let values: [Int64] = [0, 9, 10, -7, 1_800_000_000_000_000, .max, .min]
        var buffer = ByteBuffer()
        RESPEncoder.write(values.map { .integer($0) }, into: &buffer)
        var parser = RESPParser()
        let parsed = try parser.next(from: &buffer)?.array?.compactMap(\.string)
        #expect(parsed == values.map { String($0) })
        #expect(buffer.readableBytes == 0)
    }

    @Test func whatTheEncoderWritesTheParserReadsBack() throws {
        var buffer = ByteBuffer()
        RESPEncoder.write(["EVALSHA", "abc", 1, "key"], into: &buffer)
        var parser = RESPParser()
        let value = try parser.next(from: &buffer)
        #expect(value?.array?.compactMap { $0.string } == ["EVALSHA", "abc", "1", "key"])
    }
}

@Suite struct RedisURLTests {
    @Test func parsesTheContractsForms() throws {
        #expect(try RedisURL.parse("redis://127.0.0.1:6380/2").get() == RedisURL(host: "127.0.0.1", port: 6380, database: 2))
        #expect(try RedisURL.parse("redis://cache.internal").get() == RedisURL(host: "cache.internal"))
        #expect(try RedisURL.parse("redis://:s3cr%40t@h:1/").get() == RedisURL(host: "h", port: 1, password: "s3cr@t"))
        #expect(try RedisURL.parse("redis://app:pw@h").get() == RedisURL(host: "h", username: "app", password: "pw"))
        #expect(try RedisURL.parse("redis://[::1]:7000/1").get() == RedisURL(host: "::1", port: 7000, database: 1))
    }

    @Test func saysWhatIsWrong() {
        func message(_ text: String) -> String? {
            if case .failure(let error) = RedisURL.parse(text) { return error.description }
            return nil
        }
        #expect(message("http://h") == "must start with redis://")
        #expect(message("rediss://h") == "TLS to Redis (rediss://) is not supported")
        #expect(message("redis://h:0") == "port 0 outside 1...65535")
        #expect(message("redis://h:x") == "invalid port \"x\"")
        #expect(message("redis://h/db") == "database must be a number (0 or more), not \"db\"")
        #expect(message("redis://") == "missing host")
        #expect(message("redis://:%zz@h") == "credentials hold an invalid %-escape")
    }
}
