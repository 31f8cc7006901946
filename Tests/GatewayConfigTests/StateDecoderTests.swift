import GatewayCore
import Testing
@testable import GatewayConfig

@Suite struct StateDecoderTests {
    static func state(_ json: String) -> StateSettings? {
        TestConfig.compile(TestConfig.top(#""state": "# + json)).snapshot?.settings.state
    }

    static func lines(_ json: String) -> [String] {
        TestConfig.lines(TestConfig.top(#""state": "# + json))
    }

    @Test func memoryIsTheDefaultAndTakesAPath() {
        #expect(Self.state("{}") == StateSettings(path: nil))
        #expect(Self.state(#"{"store": "memory"}"#)?.redis == nil)
        #expect(Self.lines(#"{"store": "disk"}"#) == [#"/state/store: must be "memory" or "redis" (got "disk")"#])
    }

    @Test func redisTakesAURLAndDefaultsToLocalShareWithinFiftyMilliseconds() throws {
        let state = try #require(Self.state(#"{"store": "redis", "url": "redis://:pw@127.0.0.1:6380/2"}"#))
        #expect(state.redis == RedisStateSettings(url: "redis://:pw@127.0.0.1:6380/2"))
        #expect(state.redis?.onUnavailable == .local && state.redis?.budget == .milliseconds(50))
        let tuned = try #require(Self.state(
            #"{"store": "redis", "url": "redis://127.0.0.1", "onUnavailable": "deny", "budget": "20ms", "keyPrefix": "eu:"}"#))
        #expect(tuned.redis == RedisStateSettings(url: "redis://127.0.0.1", onUnavailable: .deny,
                                                  budget: .milliseconds(20), keyPrefix: "eu:"))
    }

    @Test func badRedisSettingsArePointedAt() {
        #expect(Self.lines(#"{"store": "redis"}"#) == [#"/state/url: the "redis" store needs "url" (redis://host:port/db)"#])
        let bad = Self.lines(#"{"store": "redis", "url": "http://127.0.0.1", "onUnavailable": "open", "budget": "0ms"}"#)
        #expect(bad.count == 3)
        #expect(bad[0].hasPrefix("/state/url: "))
        #expect(bad[1] == #"/state/onUnavailable: must be "local", "allow" or "deny" (got "open")"#)
        #expect(bad[2].hasPrefix("/state/budget: "))
        #expect(Self.lines(#"{"url": "redis://127.0.0.1", "onUnavailable": "deny"}"#) == [
            #"/state/url: "url" belongs to the "redis" store (set "store": "redis")"#,
            #"/state/onUnavailable: "onUnavailable" belongs to the "redis" store (set "store": "redis")"#])
    }
}
