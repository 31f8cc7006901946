import Foundation
import GatewayCore
import LoadTest
import Testing

extension GatewayServerTests {
    /// `portcullis loadtest` against a running gateway: what it counts is what the gateway's limit admits.
    @Suite(.serialized) struct LoadTestEndToEnd {
        static let key1 = "first-key-0123456789abcdefghij"
        static let key2 = "second-key-0123456789abcdefghi"

        static let config = TestGateway.config(#"""
            "apis": [ { "name": "api", "routes": [
              { "route": "GET /limited", "integration": { "type": "mock", "status": 200, "body": "ok" },
                "throttle": { "rate": 50, "burst": 20 } },
              { "route": "GET /keyed", "integration": { "type": "mock", "status": 200, "body": "ok" },
                "apiKeyRequired": true } ] } ],
            "usagePlans": [ { "name": "p", "apis": ["api"], "throttle": { "rate": 20, "burst": 5 } } ],
            "apiKeys": [ { "name": "one", "value": "\#(key1)", "plan": "p" },
                         { "name": "two", "value": "\#(key2)", "plan": "p" } ]
            """#)

        func plan(_ gateway: TestGateway, _ path: String, rate: Double, keys: [String] = []) throws -> LoadTestPlan {
            guard case .success(let target) = LoadTestTarget.parse("http://127.0.0.1:\(gateway.port)\(path)") else {
                throw TestGatewayError(description: "bad URL")
            }
            return LoadTestPlan(target: target, rate: rate, duration: .seconds(2), connections: 8, apiKeys: keys)
        }

        @Test func aRouteThrottleAdmitsWhatTheExpectationSays() async throws {
            let gateway = try await TestGateway.start(Self.config)
            defer { Task { await gateway.stop() } }
            let plan = try plan(gateway, "/limited", rate: 400)
            let results = try await LoadTestRunner.run(plan)
            guard case .success(let expectation) = AdmissionExpectation.bucket(rate: 50, burst: 20, plan: plan) else {
                Issue.record("no expectation")
                return
            }
            #expect(expectation.total == 20 + 99)  // 400/s for 2 s: the last request is due at 1.9975 s
            #expect(results.total.sent == 800 && results.total.errors == 0)
            #expect(Set(results.statusCounts.keys) == [200, 429])
            // Arrival jitter on a loaded test machine moves a request or two across a refill.
            #expect(abs(results.total.admitted - expectation.total) <= 3, "admitted \(results.total.admitted)")
            let report = LoadTestReport(plan: plan, results: results, expectation: expectation, elapsedSeconds: 2)
            let json = try JSON.parse(report.json())
            #expect(json["requests"]?.int == 800 && json["expectedAdmitted"]?.int == 119)
            #expect(json["status"]?["200"]?.int == results.total.admitted)
        }

        @Test func expectFromReadsTheConfigAndCountsEachKey() async throws {
            let gateway = try await TestGateway.start(Self.config)
            defer { Task { await gateway.stop() } }
            let plan = try plan(gateway, "/keyed", rate: 200, keys: [Self.key1, Self.key2])
            let start = Int64(Date().timeIntervalSince1970 * 1e9)
            guard case .success(let expectation) = AdmissionExpectation.fromConfig(
                path: gateway.configPath, plan: plan, environment: [:], startEpoch: start) else {
                Issue.record("no expectation")
                return
            }
            // Each key gets 100/s of the 200/s into its own 20/s bucket of 5: 5 + 39 in 2 s.
            #expect(expectation.perKey == [44, 44] && expectation.total == 88)
            #expect(expectation.basis.contains("plan 20/s, burst 5"))
            let results = try await LoadTestRunner.run(plan)
            #expect(results.perKey.map(\.sent) == [200, 200])
            for counts in results.perKey { #expect(abs(counts.admitted - 44) <= 2, "\(counts)") }
            // A key the config does not know is expected to be refused outright.
            let stranger = try self.plan(gateway, "/keyed", rate: 10, keys: ["unknown-key-0123456789abcdef"])
            guard case .success(let none) = AdmissionExpectation.fromConfig(
                path: gateway.configPath, plan: stranger, environment: [:], startEpoch: start) else { return }
            #expect(none.total == 0 && none.basis.contains("403 INVALID_API_KEY"))
        }

        @Test func httpsIsVerifiedUnlessToldOtherwise() async throws {
            let certificates = try TLSListener.makeCertificates()
            defer { try? FileManager.default.removeItem(atPath: certificates.directory) }
            let gateway = try await TestGateway.start(TLSListener.config(certificates, upstreamPort: 9))
            defer { Task { await gateway.stop() } }
            let port = try #require(gateway.runtime.httpsAddress?.port)
            guard case .success(let target) = LoadTestTarget.parse("https://127.0.0.1:\(port)/ping") else { return }
            var plan = LoadTestPlan(target: target, rate: 200, duration: .seconds(1), connections: 4, insecure: true)
            let accepted = try await LoadTestRunner.run(plan)
            #expect(accepted.total.sent == 200 && accepted.statusCounts == [200: 200] && accepted.total.errors == 0)
            // A self-signed certificate is not in the system trust store: without --insecure every request fails.
            plan.insecure = false
            plan.rate = 20
            let refused = try await LoadTestRunner.run(plan)
            #expect(refused.total.sent == 20 && refused.total.errors == 20 && refused.total.answered == 0)
        }
    }
}
