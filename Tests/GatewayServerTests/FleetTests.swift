import FleetState
import Foundation
import GatewayCore
import Redis
import StoreTestSupport
import Testing

extension GatewayServerTests {
    /// Fleet mode end to end: two gateway instances on one real redis-server share their limits, quotas and cache
    /// flushes; Redis killed and restarted mid-run.
    @Suite(.enabled(if: RedisServer.available, "redis-server is not installed (.ci/run installs it)"))
    struct Fleet {
        static let key = "fleet-key-0123456789abcdefghij"

        static func config(redisPort: Int, prefix: String, upstream: Int = 9, onUnavailable: String = "local") -> String {
            TestGateway.config(#"""
                "state": { "store": "redis", "url": "redis://127.0.0.1:\#(redisPort)", "keyPrefix": "\#(prefix)",
                           "onUnavailable": "\#(onUnavailable)", "budget": "1s" },
                "apis": [ { "name": "api", "routes": [
                  { "route": "GET /scarce", "integration": { "type": "mock", "status": 200, "body": "ok" },
                    "throttle": { "rate": 0.001, "burst": 5 } },
                  { "route": "GET /paced", "integration": { "type": "mock", "status": 200, "body": "ok" },
                    "throttle": { "rate": 10, "burst": 10 } },
                  { "route": "GET /walled", "integration": { "type": "mock", "status": 200, "body": "ok" } },
                  { "route": "GET /keyed", "integration": { "type": "mock", "status": 200, "body": "ok" },
                    "apiKeyRequired": true },
                  { "route": "GET /items/{id}", "integration": { "type": "http", "url": "http://127.0.0.1:\#(upstream)" },
                    "cache": { "ttl": 300 } } ] } ],
                "waf": { "rules": [ { "name": "flood", "match": { "path": "/walled" },
                                      "rateBased": { "limit": 6, "window": "60s", "key": "ip" }, "action": "block" } ] },
                "usagePlans": [ { "name": "gold", "apis": ["api"], "quota": { "limit": 1000, "period": "MONTH" } } ],
                "apiKeys": [ { "name": "acme", "value": "\#(key)", "plan": "gold" } ]
                """#)
        }

        /// Two instances of one fleet (a fresh key prefix per test) on `server`.
        static func withFleet(_ server: RedisServer, upstream: Int = 9, onUnavailable: String = "local",
                              _ body: (TestGateway, TestGateway) async throws -> Void) async throws {
            let config = Self.config(redisPort: server.port, prefix: "f\(UInt32.random(in: 0...UInt32.max)):",
                                     upstream: upstream, onUnavailable: onUnavailable)
            try await withGateway(config) { a in
                try await withGateway(config) { b in
                    try await body(a, b)
                }
            }
        }

        @Test func twoInstancesShareOneBucketExactly() async throws {
            let server = try await RedisServer.start()
            defer { server.stop() }
            try await Self.withFleet(server) { a, b in
                #expect(b.runtime.fleet?.membership.liveInstances == 2)  // b joined second: it saw a at once
                var statuses: [Int] = []
                for i in 0..<12 {
                    statuses.append(try exchange(port: (i % 2 == 0 ? a : b).port, get("/scarce")).status)
                }
                // Burst 5 for the fleet, not for each instance; a refill takes 1000 s.
                #expect(statuses.filter { $0 == 200 }.count == 5)
                #expect(statuses.prefix(5).allSatisfy { $0 == 200 })
                let refused = try exchange(port: b.port, get("/scarce"))
                try expectProblem(refused, status: 429, code: "THROTTLED")
                #expect(refused.header("ratelimit")?.hasPrefix(#""route";r=0;"#) == true)
            }
        }

        @Test func aRateRuleCountsTheFleetsRequests() async throws {
            let server = try await RedisServer.start()
            defer { server.stop() }
            try await Self.withFleet(server) { a, b in
                var statuses: [Int] = []
                for i in 0..<12 { statuses.append(try exchange(port: (i % 2 == 0 ? a : b).port, get("/walled")).status) }
                #expect(statuses == Array(repeating: 200, count: 6) + Array(repeating: 403, count: 6))
                // Either instance's admin API lists the key over the limit, with the fleet's count.
                for gateway in [a, b] {
                    let report = try exchange(port: gateway.adminPort, get("/waf")).bodyText
                    #expect(report.contains(#""127.0.0.1""#) && report.contains(#""count":6"#), "\(report)")
                }
            }
        }

        /// 10/s with a burst of 10, offered 40/s for 2 s across both instances: 10 + 10 × elapsed, within one.
        @Test func aPacedRunAdmitsTheFleetsRateWithinOneRequest() async throws {
            let server = try await RedisServer.start()
            defer { server.stop() }
            try await Self.withFleet(server) { a, b in
                let start = ContinuousClock.now
                var admitted = 0
                var sent = 0
                while ContinuousClock.now - start < .seconds(2) {
                    let status = try exchange(port: (sent % 2 == 0 ? a : b).port, get("/paced")).status
                    if status == 200 { admitted += 1 }
                    sent += 1
                    try await Task.sleep(until: start + .milliseconds(25 * sent))
                }
                let elapsed = ContinuousClock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                let expected = 10 + 10 * seconds
                #expect(abs(Double(admitted) - expected) <= 1.5, "admitted \(admitted), expected \(expected) of \(sent)")
            }
        }

        @Test func usageAnswersTheFleetsNumbersFromEitherInstance() async throws {
            let server = try await RedisServer.start()
            defer { server.stop() }
            try await Self.withFleet(server) { a, b in
                for i in 0..<7 {
                    let response = try exchange(port: (i % 2 == 0 ? a : b).port, get("/keyed", headers: ["x-api-key: \(Self.key)"]))
                    #expect(response.status == 200)
                }
                for gateway in [a, b] {
                    let usage = try JSON.parse(try exchange(port: gateway.adminPort, get("/usage/acme")).body)
                    #expect(usage["quota"]?["used"]?.int == 7 && usage["quota"]?["remaining"]?.int == 993)
                }
            }
        }

        @Test func deleteCacheOnOneInstanceFlushesEveryInstance() async throws {
            let server = try await RedisServer.start()
            defer { server.stop() }
            try await withUpstream { upstream in
                try await Self.withFleet(server, upstream: upstream.port) { a, b in
                    try await Self.waitForSubscribers(2, server: server, gateways: [a, b])
                    for gateway in [a, b] {
                        _ = try exchange(port: gateway.port, get("/items/1"))
                        #expect(try exchange(port: gateway.port, get("/items/1")).header("cache-status")?.contains("hit") == true)
                    }
                    #expect(upstream.requestCount == 2)
                    let flushed = try exchange(port: a.adminPort, "DELETE /cache?api=api HTTP/1.1\r\nHost: admin\r\n\r\n")
                    #expect(flushed.status == 200 && flushed.bodyText == #"{"removed":1,"instancesReached":2}"#)
                    // B hears it through Redis: its next request is a miss again.
                    #expect(await eventually {
                        (try? exchange(port: b.port, get("/items/1")).header("cache-status")?.contains("miss")) == true
                    })
                    #expect(try exchange(port: a.port, get("/items/1")).header("cache-status")?.contains("miss") == true)
                }
            }
        }

        @Test(arguments: ["deny", "allow", "local"])
        func redisKilledAndRestartedDuringARun(onUnavailable: String) async throws {
            let server = try await RedisServer.start()
            try await Self.withFleet(server, onUnavailable: onUnavailable) { a, b in
                // a joined first: its next heartbeat (each second) counts b too.
                #expect(await eventually(timeout: .seconds(5)) { a.runtime.fleet?.membership.liveInstances == 2 })
                #expect(try exchange(port: a.port, get("/scarce")).status == 200)
                server.stop()
                let during = try (0..<3).map { _ in try exchange(port: a.port, get("/scarce")).status }
                switch onUnavailable {
                // deny: metered routes refuse while Redis is away; unmetered ones keep serving.
                case "deny":
                    #expect(during == [429, 429, 429])
                    try expectProblem(try exchange(port: b.port, get("/paced")), status: 429, code: "THROTTLED")
                case "allow":
                    #expect(during == [200, 200, 200])
                // local: two live instances, so each enforces half the burst of 5 on its own.
                default:
                    #expect(during == [200, 200, 429])
                }
                #expect(try exchange(port: b.port, get("/items-unmetered-404")).status == 404)
                let metrics = try exchange(port: a.adminPort, get("/metrics")).bodyText
                #expect(metrics.contains("portcullis_state_store_available 0"))
                #expect(metrics.contains(#"portcullis_state_store_transitions_total{to="unavailable"} 1"#))

                let restarted = try await RedisServer.start(port: server.port)
                defer { restarted.stop() }
                #expect(await eventually(timeout: .seconds(10)) {
                    (try? exchange(port: a.adminPort, get("/metrics")).bodyText.contains("portcullis_state_store_available 1")) == true
                })
                // The restarted server is empty: the bucket starts full again.
                #expect(try exchange(port: a.port, get("/scarce")).status == 200)
                let after = try exchange(port: a.adminPort, get("/metrics")).bodyText
                #expect(after.contains(#"portcullis_state_store_transitions_total{to="available"} 1"#))
            }
        }

        /// PUBSUB NUMSUB until every instance's subscriber is in place.
        static func waitForSubscribers(_ count: Int, server: RedisServer, gateways: [TestGateway]) async throws {
            let connection = try await RedisConnection.connect(to: RedisURL(host: "127.0.0.1", port: server.port),
                                                               on: RedisPool.currentOrAnyLoop())
            defer { Task { await connection.close() } }
            let prefix = try #require(gateways.first?.runtime.fleet?.settings.keyPrefix)
            for _ in 0..<200 {
                let reply = try await connection.send("PUBSUB", "NUMSUB", .string(prefix + "cache-flush"))
                if reply.array?.last?.integer == Int64(count) { return }
                try await Task.sleep(for: .milliseconds(25))
            }
            Issue.record("the instances did not subscribe")
        }
    }
}
