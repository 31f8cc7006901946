import NIOHTTP1
import Testing
@testable import GatewayCore

@Suite struct CacheKeyTests {
    func key(host: String? = "api.test", path: String = "/orders/1", query: String? = nil,
             headers: HTTPHeaders = [:], policy: RouteCachePolicy = RouteCachePolicy(ttlSeconds: 60),
             apiKey: String? = nil, api: String = "orders", route: String = "GET /orders/{id}") -> CacheKey {
        CacheKey.make(host: host.map { Substring($0) }, api: api, route: route, path: Substring(path),
                      query: query.map { Substring($0) }, headers: headers, policy: policy, apiKeyName: apiKey)
    }

    @Test func queryOrderDoesNotSplitAnEntryButValuesDo() {
        #expect(key(query: "b=2&a=1") == key(query: "a=1&b=2"))
        #expect(key(query: "a=2&a=1") == key(query: "a=1&a=2"))
        #expect(key(query: "a=1&b=2") != key(query: "a=1&b=3"))
        #expect(key(query: "a=1") != key(query: nil))
        #expect(key(query: "a=1&&") == key(query: "a=1"))
    }

    @Test func hostIsMatchedWithoutCaseOrPort() {
        #expect(key(host: "API.test:8080") == key(host: "api.test"))
        #expect(key(host: "other.test") != key(host: "api.test"))
        #expect(key(host: "[::1]:8080") == key(host: "[::1]"))
    }

    @Test func pathAPIAndRouteAreAllPartOfTheKey() {
        #expect(key(path: "/orders/1") != key(path: "/orders/2"))
        #expect(key(api: "a") != key(api: "b"))
        #expect(key(route: "GET /x") != key(route: "GET /y"))
    }

    @Test func fieldsCannotBeCraftedToCollide() {
        #expect(key(api: "a", route: "bc") != key(api: "ab", route: "c"))
        #expect(key(query: "a=b&c=") != key(query: "a=b%26c"))
        #expect(key(query: "a=b=c") != key(query: "a=b&c"))
    }

    @Test func keyParametersNarrowTheKeyToTheListedParametersAndHeaders() {
        let policy = RouteCachePolicy(ttlSeconds: 60, keyParameters: [.query("expand"), .header("accept-language")])
        let base = key(path: "/orders/1", query: "expand=items&utm=x", headers: ["Accept-Language": "de"], policy: policy)
        // Other query parameters and the path do not matter; the listed ones do.
        #expect(base == key(path: "/orders/1", query: "utm=y&expand=items", headers: ["accept-language": "de"], policy: policy))
        #expect(base != key(path: "/orders/1", query: "expand=none", headers: ["Accept-Language": "de"], policy: policy))
        #expect(base != key(path: "/orders/1", query: "expand=items", headers: ["Accept-Language": "fr"], policy: policy))
        #expect(base != key(path: "/orders/1", query: "expand=items", headers: [:], policy: policy))
    }

    @Test func perApiKeySeparatesKeys() {
        let policy = RouteCachePolicy(ttlSeconds: 60, perApiKey: true)
        #expect(key(policy: policy, apiKey: "acme") != key(policy: policy, apiKey: "other"))
        #expect(key(policy: policy, apiKey: "acme") == key(policy: policy, apiKey: "acme"))
        #expect(key(apiKey: "acme") == key(apiKey: "other"))  // without perApiKey the key is not part of it
    }

    @Test func variantsAddTheVaryHeadersValues() {
        let primary = key()
        let english = primary.variant(varying: ["accept-language"], headers: ["Accept-Language": "en"])
        #expect(english != primary)
        #expect(english == primary.variant(varying: ["accept-language"], headers: ["accept-language": "en"]))
        #expect(english != primary.variant(varying: ["accept-language"], headers: ["accept-language": "de"]))
        #expect(primary.variant(varying: [], headers: ["a": "b"]) == primary)
    }
}
