import Testing
@testable import GatewayConfig

@Suite struct ValueSyntaxTests {
    @Test func durationUnits() {
        #expect(DurationSyntax.parse("250ms") == .milliseconds(250))
        #expect(DurationSyntax.parse("29s") == .seconds(29))
        #expect(DurationSyntax.parse("0.5s") == .milliseconds(500))
        #expect(DurationSyntax.parse("5m") == .seconds(300))
        #expect(DurationSyntax.parse("1h") == .seconds(3600))
        #expect(DurationSyntax.parse("1d") == .seconds(86_400))
        #expect(DurationSyntax.parse("1.5m") == .seconds(90))
        #expect(DurationSyntax.parse("0.1s") == .milliseconds(100))
        #expect(DurationSyntax.fromSeconds(0.25) == .milliseconds(250))
    }

    @Test func malformedDurations() {
        for text in ["", "5", "s", "5 s", "5S", "5sec", "-5s", ".5s", "5.s", "1.2.3s", "5m30s", "1w"] {
            #expect(DurationSyntax.parse(text) == nil, "\(text)")
        }
    }

    @Test func durationFormatting() {
        #expect(DurationSyntax.format(.seconds(900)) == "15m")
        #expect(DurationSyntax.format(.seconds(29)) == "29s")
        #expect(DurationSyntax.format(.milliseconds(1500)) == "1500ms")
        #expect(DurationSyntax.format(.seconds(7200)) == "2h")
        #expect(DurationSyntax.format(.seconds(86_400)) == "1d")
        #expect(DurationSyntax.format(.zero) == "0")
    }

    @Test func sizeUnits() {
        #expect(SizeSyntax.parse("512B") == 512)
        #expect(SizeSyntax.parse("64KB") == 65_536)
        #expect(SizeSyntax.parse("10MB") == 10_485_760)
        #expect(SizeSyntax.parse("1GB") == 1_073_741_824)
        #expect(SizeSyntax.parse("64kb") == 65_536)
        #expect(SizeSyntax.parse("1.5mb") == 1_572_864)
    }

    @Test func malformedSizes() {
        for text in ["", "64", "KB", "64 KB", "64K", "64KiB", "-1KB", "1TB", "1..5MB"] {
            #expect(SizeSyntax.parse(text) == nil, "\(text)")
        }
    }

    @Test func sizeFormatting() {
        #expect(SizeSyntax.format(1024) == "1KB")
        #expect(SizeSyntax.format(1024 * 1024) == "1MB")
        #expect(SizeSyntax.format(4 * 1024 * 1024 * 1024) == "4GB")
        #expect(SizeSyntax.format(1500) == "1500B")
        #expect(SizeSyntax.format(0) == "0")
    }
}
