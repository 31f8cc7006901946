import Testing
@testable import JSONSchema

@Suite struct FormatCheckerTests {
    func check(_ format: String, _ value: String) -> Bool { FormatChecker(name: format)!.isValid(value) }

    @Test func dateAndTime() {
        #expect(check("date-time", "2024-02-29T22:59:60Z") == false)
        #expect(check("date-time", "2016-12-31T23:59:60Z"))
        #expect(check("date-time", "1990-12-31T15:59:60-08:00"))
        #expect(check("date-time", "2024-02-29t10:00:00.123+01:00"))
        #expect(!check("date-time", "2023-02-29T10:00:00Z"))
        #expect(check("date", "2020-02-29"))
        #expect(!check("date", "2020-13-01"))
        #expect(!check("time", "12:00:00"))
        #expect(check("time", "12:00:00Z"))
    }

    @Test func networkFormats() {
        #expect(check("ipv4", "192.168.0.1"))
        #expect(!check("ipv4", "192.168.00.1"))
        #expect(check("ipv6", "::ffff:192.168.0.1"))
        #expect(check("ipv6", "fe80::1"))
        #expect(!check("ipv6", "1::2::3"))
        #expect(check("hostname", "api.example.test"))
        #expect(!check("hostname", "-bad.example"))
        #expect(check("email", "a.b+c@example.test"))
        #expect(check("email", "\"joe bloggs\"@example.test"))
        #expect(!check("email", "a..b@example.test"))
        #expect(check("email", "joe@[127.0.0.1]"))
        #expect(check("email", "joe@[IPv6:::1]"))
        #expect(!check("email", "joe@[300.0.0.1]"))
        #expect(!check("email", ".joe@example.test"))
        #expect(!check("email", "joe.@example.test"))
        #expect(!check("email", "joe@"))
        #expect(!check("email", "@example.test"))
        #expect(!check("email", "jo e@example.test"))
        #expect(check("email", "\"jo\\\"e\"@example.test"))
        #expect(!check("email", "\"jo\"e\"@example.test"))
        #expect(check("email", "josé@example.test"))
        #expect(!check("email", "joe@-example.test"))
        #expect(!check("email", String(repeating: "a", count: 65) + "@example.test"))
    }

    @Test func identifiers() {
        #expect(check("uri", "https://example.test/a?b=c#d"))
        #expect(check("uri", "urn:isbn:0451450523"))
        #expect(!check("uri", "//example.test/relative"))
        #expect(!check("uri", "http://exa mple.test"))
        #expect(check("uuid", "2eb8aa08-aa98-11ea-b4aa-73b441d16380"))
        #expect(!check("uuid", "2eb8aa08aa9811eab4aa73b441d16380"))
    }

    @Test func unknownFormatsAreNotAsserted() {
        #expect(FormatChecker(name: "x-custom") == nil)
    }
}
