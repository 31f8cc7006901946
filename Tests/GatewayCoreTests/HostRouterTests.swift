import Testing
@testable import GatewayCore

@Suite struct HostRouterTests {
    let router = HostRouter(
        domains: [
            DomainRoute(name: "api.example.test", mappings: [
                BasePathMapping(basePath: "/v1", api: 0),
                BasePathMapping(basePath: "/", api: 1),
                BasePathMapping(basePath: "/v1/admin", api: 2),
                BasePathMapping(basePath: "/v1/admin", api: 3),
            ]),
            DomainRoute(name: "*.tenants.example.test", mappings: [BasePathMapping(basePath: "/", api: 4)]),
            DomainRoute(name: "only-v2.example.test", mappings: [BasePathMapping(basePath: "/v2", api: 5)]),
            DomainRoute(name: "x.tenants.example.test", mappings: [BasePathMapping(basePath: "/x", api: 6)]),
        ],
        defaultEndpoint: [
            BasePathMapping(basePath: "/", api: 1),
            BasePathMapping(basePath: "/orders", api: 0),
            BasePathMapping(basePath: "/", api: 7),
        ])

    func resolve(_ host: Substring?, _ path: Substring) -> HostResolution? { router.resolve(host: host, path: path) }

    @Test func longestWholeSegmentBasePathWins() {
        #expect(resolve("api.example.test", "/v1/orders/7") == HostResolution(apis: [0], basePath: "/v1", remainingPath: "/orders/7"))
        #expect(resolve("api.example.test", "/v1") == HostResolution(apis: [0], basePath: "/v1", remainingPath: ""))
        #expect(resolve("api.example.test", "/v1/") == HostResolution(apis: [0], basePath: "/v1", remainingPath: "/"))
        #expect(resolve("api.example.test", "/v10") == HostResolution(apis: [1], basePath: "/", remainingPath: "/v10"))
        #expect(resolve("api.example.test", "/v1x/a") == HostResolution(apis: [1], basePath: "/", remainingPath: "/v1x/a"))
        #expect(resolve("api.example.test", "") == HostResolution(apis: [1], basePath: "/", remainingPath: ""))
        #expect(resolve("api.example.test", "/V1/a")?.basePath == "/")  // paths are case-sensitive
    }

    @Test func allApisAtTheWinningBasePathInConfigOrder() {
        #expect(resolve("api.example.test", "/v1/admin/users") == HostResolution(apis: [2, 3], basePath: "/v1/admin", remainingPath: "/users"))
        #expect(resolve("other.test", "/x") == HostResolution(apis: [1, 7], basePath: "/", remainingPath: "/x"))
    }

    @Test func remainingPathIsASliceOfTheInput() {
        let path: Substring = "/v1/orders/7"
        let r = resolve("api.example.test", path)
        #expect(r?.remainingPath.startIndex == path.index(path.startIndex, offsetBy: 3))
        #expect(r?.remainingPath.endIndex == path.endIndex)
    }

    @Test func emptySegmentsInTheRequestPathAreSkipped() {
        #expect(resolve("api.example.test", "//v1//orders") == HostResolution(apis: [0], basePath: "/v1", remainingPath: "//orders"))
    }

    @Test func hostIsCaseInsensitiveAndPortIsIgnored() {
        #expect(resolve("API.Example.TEST", "/v1/a")?.apis == [0])
        #expect(resolve("api.example.test:8443", "/v1/a")?.apis == [0])
        #expect(resolve("API.example.test:80", "/v1/a")?.apis == [0])
        #expect(resolve("api.example.test.", "/v1/a")?.apis == [0])  // fully qualified form
    }

    @Test func wildcardMatchesExactlyOneLabel() {
        #expect(resolve("a.tenants.example.test", "/z")?.apis == [4])
        #expect(resolve("A.Tenants.Example.Test:8080", "/z")?.apis == [4])
        #expect(resolve("a.b.tenants.example.test", "/z")?.apis == [1, 7])  // not the wildcard: default endpoint
        #expect(resolve("tenants.example.test", "/z")?.apis == [1, 7])
        #expect(resolve(".tenants.example.test", "/z")?.apis == [1, 7])
    }

    @Test func exactDomainBeatsWildcard() {
        #expect(resolve("x.tenants.example.test", "/x/1") == HostResolution(apis: [6], basePath: "/x", remainingPath: "/1"))
        // The exact domain decides even when none of its mappings match: no fallback to the wildcard.
        #expect(resolve("x.tenants.example.test", "/y") == nil)
    }

    @Test func matchedDomainWithoutMatchingMappingIs404() {
        #expect(resolve("only-v2.example.test", "/v1/a") == nil)
        #expect(resolve("only-v2.example.test", "/v2/a")?.apis == [5])
    }

    @Test func otherHostsUseTheDefaultEndpoint() {
        #expect(resolve("127.0.0.1:8080", "/orders/9") == HostResolution(apis: [0], basePath: "/orders", remainingPath: "/9"))
        #expect(resolve("[::1]:8080", "/orders") == HostResolution(apis: [0], basePath: "/orders", remainingPath: ""))
        #expect(resolve(nil, "/ordersx") == HostResolution(apis: [1, 7], basePath: "/", remainingPath: "/ordersx"))
        #expect(resolve("", "/a")?.apis == [1, 7])
    }

    @Test func disabledDefaultEndpoint() {
        let r = HostRouter(domains: [DomainRoute(name: "a.test", mappings: [BasePathMapping(basePath: "/", api: 0)])],
                           defaultEndpoint: nil)
        #expect(r.resolve(host: "b.test", path: "/") == nil)
        #expect(r.resolve(host: nil, path: "/") == nil)
        #expect(r.resolve(host: "a.test", path: "/") == HostResolution(apis: [0], basePath: "/", remainingPath: "/"))
    }

    @Test func defaultEndpointWithoutRootMapping() {
        let r = HostRouter(domains: [], defaultEndpoint: [BasePathMapping(basePath: "/a/b", api: 0)])
        #expect(r.resolve(host: "h", path: "/a") == nil)
        #expect(r.resolve(host: "h", path: "/a/b/c") == HostResolution(apis: [0], basePath: "/a/b", remainingPath: "/c"))
    }

    @Test func hostNameStripping() {
        #expect(HostRouter.hostName("example.test:8080") == "example.test")
        #expect(HostRouter.hostName("[::1]:8080") == "[::1]")
        #expect(HostRouter.hostName("[::1]") == "[::1]")
        #expect(HostRouter.hostName("example.test") == "example.test")
    }
}
