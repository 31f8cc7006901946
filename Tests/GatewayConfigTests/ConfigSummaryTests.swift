import Testing
@testable import GatewayConfig

@Suite struct ConfigSummaryTests {
    @Test func countsAPIsRoutesAndDomains() throws {
        let snapshot = try #require(ConfigLoader.compile(data: Array(ConfigLoaderTests.full.utf8), sourcePath: "/srv/gateway.json",
                                                         environment: ["PORTCULLIS_ADMIN_TOKEN": "x"]).snapshot)
        #expect(ConfigSummary.summary(of: snapshot) == "2 APIs, 4 routes, 1 domain")
        #expect(ConfigSummary(of: snapshot) == ConfigSummary(apis: 2, routes: 4, domains: 1))
    }

    @Test func singularAndZero() throws {
        let snapshot = try #require(TestConfig.compile(TestConfig.top("")).snapshot)
        #expect(ConfigSummary.summary(of: snapshot) == "1 API, 1 route, 0 domains")
    }
}
