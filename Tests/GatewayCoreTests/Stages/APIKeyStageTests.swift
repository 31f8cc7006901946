import GatewayConfig
import NIOHTTP1
import Testing
@testable import GatewayCore

/// API keys as the gateway checks them: compiled from gateway.json and run through the snapshot's pipeline.
@Suite struct APIKeyStageTests {
    static let goldKey = "gold-key-0123456789abcdefghij"
    static let otherKey = "other-key-0123456789abcdefghij"

    static let config = StageFixture.config(#"""
        "apis": [{"name": "orders", "routes": [
                    {"route": "GET /orders/{id}", "integration": {"type": "mock"}, "apiKeyRequired": true},
                    {"route": "GET /open", "integration": {"type": "mock"}}]},
                 {"name": "admin", "routes": [{"route": "GET /admin", "integration": {"type": "mock"}, "apiKeyRequired": true}],
                  "basePath": "/internal"}],
        "usagePlans": [{"name": "gold", "apis": ["orders"]}, {"name": "staff", "apis": ["orders", "admin"]}],
        "apiKeys": [{"name": "acme", "value": "\#(goldKey)", "plan": "gold"},
                    {"name": "old", "value": "\#(otherKey)", "plan": "staff", "enabled": false},
                    {"name": "ci", "sha256": "\#(KeyDigest(of: "ci-key-0123456789abcdefghij".utf8).hex)", "plan": "staff"}]
        """#)

    func run(_ target: String, key: [String]) throws -> (GatewayAnswer?, RequestContext) {
        let snapshot = try StageFixture.snapshot(Self.config)
        var request = TestRequest.make(.GET, target, headers: key.map { ("X-Api-Key", $0) })
        switch snapshot.pipeline.run(&request) {
        case .respond(let answer): return (answer, request)
        case .integrate: return (nil, request)
        default:
            Issue.record("unexpected stop")
            return (nil, request)
        }
    }

    @Test func aValidKeyPassesAndIsNamedForTheLog() throws {
        let (answer, request) = try run("/orders/7", key: [Self.goldKey])
        #expect(answer == nil)
        #expect(request.apiKey?.name == "acme" && request.apiKey?.plan.name == "gold")
    }

    @Test func aKeyConfiguredByItsDigestPasses() throws {
        let (answer, request) = try run("/internal/admin", key: ["ci-key-0123456789abcdefghij"])
        #expect(answer == nil && request.apiKey?.name == "ci")
    }

    @Test func aMissingKeyIsRefused() throws {
        let problem = try expectProblem(run("/orders/7", key: []).0, status: 403, code: .invalidAPIKey, connection: .keepOpen)
        #expect(problem.detail == "this route needs an API key in the x-api-key header")
        try expectProblem(run("/orders/7", key: [""]).0, status: 403, code: .invalidAPIKey, connection: .keepOpen)
    }

    @Test func unknownDisabledAndUncoveredKeysAreRefusedAlike() throws {
        for (target, key) in [("/orders/7", "nope-0123456789abcdefghijkl"), ("/orders/7", Self.otherKey),
                              ("/internal/admin", Self.goldKey), ("/orders/7", Self.goldKey.uppercased())] {
            let (answer, _) = try run(target, key: [key])
            let problem = try expectProblem(answer, status: 403, code: .invalidAPIKey, connection: .keepOpen)
            #expect(problem.detail == "the API key is not valid")
        }
        // A known key is named in the log even when refused; an unknown one is not.
        #expect(try run("/orders/7", key: [Self.otherKey]).1.apiKey?.name == "old")
        #expect(try run("/orders/7", key: ["nope-0123456789abcdefghijkl"]).1.apiKey == nil)
    }

    @Test func twoKeyHeadersAreRefused() throws {
        try expectProblem(run("/orders/7", key: [Self.goldKey, Self.goldKey]).0, status: 403, code: .invalidAPIKey,
                          connection: .keepOpen)
    }

    @Test func aRouteWithoutApiKeyRequiredIgnoresKeys() throws {
        let (answer, request) = try run("/open", key: ["whatever"])
        #expect(answer == nil && request.apiKey == nil)
    }

    @Test func theStageIsLeftOutWhenNoRouteRequiresAKey() throws {
        let snapshot = try StageFixture.snapshot(StageFixture.config(
            #""apis": [{"name": "a", "routes": [{"route": "GET /x", "integration": {"type": "mock"}}]}]"#))
        #expect(!snapshot.pipeline.stages.contains { $0 is APIKeyStage || $0 is ThrottleStage })
    }

    @Test func digestsCompareAndPrintAsConfigured() throws {
        let digest = KeyDigest(of: "abc".utf8)
        #expect(digest.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(KeyDigest(hex: digest.hex.uppercased()) == digest)
        #expect(KeyDigest(hex: "zz") == nil && KeyDigest(hex: String(repeating: "g", count: 64)) == nil)
        #expect(!digest.constantTimeEquals(KeyDigest(of: "abd".utf8)))
    }

    @Test func generatedKeysAreLongAlphanumericAndDistinct() {
        let keys = (0..<200).map { _ in APIKeyGenerator.newValue() }
        #expect(Set(keys).count == 200)
        for key in keys {
            #expect(key.utf8.count == 43 && key.utf8.allSatisfy { $0 < 128 && Character(UnicodeScalar($0)).isLetter || Character(UnicodeScalar($0)).isNumber })
        }
    }
}
