import Testing
@testable import GatewayCore

@Suite struct ResponseCacheabilityTests {
    func decide(_ status: Int = 200, _ headers: [(String, String)] = [], ttl: Int = 60) -> ResponseCacheability.Decision {
        ResponseCacheability.decide(status: status, headers: headers.map { (name: $0.0, value: $0.1) }, routeTTLSeconds: ttl)
    }

    @Test func onlyA200IsStoredForTheRouteTTL() {
        #expect(decide() == .store(ttlSeconds: 60, vary: []))
        for status in [201, 203, 204, 206, 301, 304, 404, 500] {
            #expect(decide(status) == .bypass(reason: "status \(status)"))
        }
    }

    @Test func noStorePrivateNoCacheAndSetCookieAreNeverStored() {
        #expect(decide(200, [("Cache-Control", "no-store")]) == .bypass(reason: "cache-control no-store"))
        #expect(decide(200, [("cache-control", "public, PRIVATE")]) == .bypass(reason: "cache-control private"))
        #expect(decide(200, [("cache-control", "no-cache")]) == .bypass(reason: "cache-control no-cache"))
        #expect(decide(200, [("Set-Cookie", "a=b")]) == .bypass(reason: "set-cookie"))
        #expect(decide(200, [("Vary", "accept, *")]) == .bypass(reason: "vary *"))
    }

    @Test func upstreamAgesShortenButNeverLengthenTheTTL() {
        #expect(decide(200, [("cache-control", "max-age=10")]) == .store(ttlSeconds: 10, vary: []))
        #expect(decide(200, [("cache-control", "max-age=600")]) == .store(ttlSeconds: 60, vary: []))
        #expect(decide(200, [("cache-control", "max-age=10, s-maxage=30")]) == .store(ttlSeconds: 30, vary: []))
        #expect(decide(200, [("cache-control", "s-maxage=\"5\"")]) == .store(ttlSeconds: 5, vary: []))
        #expect(decide(200, [("cache-control", "max-age=0")]) == .bypass(reason: "max-age 0"))
        #expect(decide(200, [("cache-control", "max-age=99999999999999999999999")]) == .store(ttlSeconds: 60, vary: []))
        #expect(decide(200, [("cache-control", "max-age=-1")]) == .bypass(reason: "bad max-age"))
        #expect(decide(200, [("cache-control", "max-age")]) == .bypass(reason: "bad max-age"))
    }

    @Test func anAuthorizedRequestsResponseIsStoredOnlyWhenItSaysASharedCacheMay() {
        func decide(_ headers: [(String, String)]) -> ResponseCacheability.Decision {
            ResponseCacheability.decide(status: 200, headers: headers.map { (name: $0.0, value: $0.1) },
                                        routeTTLSeconds: 60, requestAuthorized: true)
        }
        #expect(decide([]) == .bypass(reason: "authorization"))
        #expect(decide([("cache-control", "max-age=30")]) == .bypass(reason: "authorization"))
        #expect(decide([("cache-control", "public")]) == .store(ttlSeconds: 60, vary: []))
        #expect(decide([("cache-control", "s-maxage=20")]) == .store(ttlSeconds: 20, vary: []))
        #expect(decide([("cache-control", "must-revalidate, max-age=10")]) == .store(ttlSeconds: 10, vary: []))
    }

    @Test func varyNamesAreCollectedLowercasedOnce() {
        #expect(decide(200, [("Vary", "Accept-Language, accept"), ("vary", "ACCEPT-language")])
                == .store(ttlSeconds: 60, vary: ["accept-language", "accept"]))
    }
}
