import GatewayCore
import Testing
@testable import GatewayConfig

@Suite struct CacheDecoderTests {
    func lines(_ members: String) -> [String] {
        TestConfig.compile(#"{"listen": {"http": ":8080"}, "# + members + "}").diagnostics.map(\.description)
    }

    static func routes(_ cache: String, route: String = "GET /orders/{id}", keyed: Bool = false) -> String {
        #""apis": [{"name": "a", "routes": [{"route": "\#(route)", "integration": {"type": "mock"}, "#
            + (keyed ? #""apiKeyRequired": true, "# : "") + #""cache": \#(cache)}]}]"#
    }

    @Test func theContractExampleCompiles() throws {
        let result = TestConfig.compile(#"{"listen": {"http": ":8080"}, "cache": {"capacity": "256MB", "maxEntrySize": "1MB"}, "#
            + Self.routes(#"{"ttl": 60, "keyParameters": ["query.expand", "header.Accept-Language"], "perApiKey": true, "invalidation": "apiKey"}"#, keyed: true)
            + #", "usagePlans": [{"name": "p", "apis": ["a"]}], "apiKeys": [{"name": "k", "value": "a-key-0123456789abcdefghij", "plan": "p"}]}"#)
        #expect(result.diagnostics.map(\.description) == [])
        let snapshot = try #require(result.snapshot)
        #expect(snapshot.settings.cache == CacheSettings(capacity: 256 << 20, maxEntrySize: 1 << 20))
        #expect(snapshot.apis[0].routes[0].cache == RouteCachePolicy(
            ttlSeconds: 60, keyParameters: [.query("expand"), .header("accept-language")], perApiKey: true, invalidation: .apiKey))
        #expect(snapshot.responseCache?.capacity == 256 << 20)
        #expect(snapshot.pipeline.stages.contains { $0 is CacheStage })
    }

    @Test func aZeroTTLCachesNothingAndNoCachedRouteMeansNoStage() throws {
        let snapshot = try #require(TestConfig.compile(#"{"listen": {"http": ":8080"}, "# + Self.routes(#"{"ttl": 0}"#) + "}").snapshot)
        #expect(snapshot.apis[0].routes[0].cache == nil && snapshot.responseCache == nil)
        #expect(!snapshot.pipeline.stages.contains { $0 is CacheStage })
    }

    @Test func badCacheSettingsAreReportedAtTheirPointers() {
        #expect(lines(#""cache": {"capacity": "1KB", "maxEntrySize": "2KB"}, "# + Self.routes(#"{"ttl": 1}"#)) == [
            "/cache/maxEntrySize: must not exceed the cache's capacity (1KB)"])
        #expect(lines(Self.routes(#"{"ttl": 7200}"#)) == ["/apis/0/routes/0/cache/ttl: must be between 0 and 3600 (got 7200)"])
        #expect(lines(Self.routes(#"{"ttl": 5}"#, route: "POST /orders")) == [
            "/apis/0/routes/0/cache: only GET responses are cached; POST /orders is not a GET route"])
        #expect(lines(Self.routes(#"{"ttl": 5, "keyParameters": ["path.id", "header.bad name"]}"#)) == [
            #"/apis/0/routes/0/cache/keyParameters/0: must be "query.NAME" or "header.NAME" (got "path.id")"#,
            #"/apis/0/routes/0/cache/keyParameters/1: must be "query.NAME" or "header.NAME" (got "header.bad name")"#])
        #expect(lines(Self.routes(#"{"ttl": 5, "perApiKey": true, "invalidation": "apiKey"}"#)) == [
            #"/apis/0/routes/0/cache/perApiKey: needs "apiKeyRequired": true on the route (the key is only known there)"#,
            #"/apis/0/routes/0/cache/invalidation: "apiKey" needs "apiKeyRequired": true on the route"#])
        #expect(lines(Self.routes(#"{"ttl": 5, "invalidation": "always"}"#)) == [
            #"/apis/0/routes/0/cache/invalidation: must be "ignore", "allow" or "apiKey" (got "always")"#])
        #expect(lines(Self.routes(#"{"ttl": 5, "tll": 1}"#)) == [#"/apis/0/routes/0/cache/tll: unknown key "tll" (did you mean "ttl"?)"#])
    }
}
