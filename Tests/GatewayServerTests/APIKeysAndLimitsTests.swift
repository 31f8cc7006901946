import Foundation
import GatewayCore
import Testing

extension GatewayServerTests {
    /// API keys, throttles and quotas over real sockets: problem bodies and headers, the access log, the admin
    /// API's `/usage`, and counters that survive a restart through `state.path`.
    @Suite struct APIKeysAndLimits {
        static let key = "acme-key-0123456789abcdefghij"

        static func config(state: String = "") -> String {
            TestGateway.config((state.isEmpty ? "" : state + ", ") + #"""
                "accessLog": { "path": "access.log" },
                "apis": [ { "name": "orders", "routes": [
                  { "route": "GET /orders/{id}", "integration": { "type": "mock", "status": 200, "body": "order" },
                    "apiKeyRequired": true },
                  { "route": "GET /burst", "integration": { "type": "mock", "status": 200, "body": "ok" },
                    "throttle": { "rate": 1, "burst": 2 } } ] } ],
                "usagePlans": [ { "name": "gold", "apis": ["orders"], "throttle": { "rate": 1000, "burst": 1000 },
                                  "quota": { "limit": 3, "period": "MONTH" } } ],
                "apiKeys": [ { "name": "acme", "value": "\#(key)", "plan": "gold" } ]
                """#)
        }

        @Test func missingAndWrongKeysGet403WithAProblemAndTheKeyIsNeverLogged() async throws {
            let gateway = try await TestGateway.start(Self.config())
            defer { Task { await gateway.stop() } }
            try expectProblem(try exchange(port: gateway.port, get("/orders/1")), status: 403, code: "INVALID_API_KEY",
                              close: false)
            try expectProblem(try exchange(port: gateway.port, get("/orders/1", headers: ["x-api-key: wrong-key-0123456789abcdef"])),
                              status: 403, code: "INVALID_API_KEY")
            let ok = try exchange(port: gateway.port, get("/orders/1", headers: ["X-API-Key: \(Self.key)"]))
            #expect(ok.status == 200 && ok.bodyText == "order")
            #expect(ok.header("ratelimit-policy") == #""plan";q=1000;w=1, "quota";q=3;w=\#(monthSeconds())"#)
            #expect(ok.header("ratelimit")?.hasPrefix(#""plan";r=999;t=1, "quota";r=2;t="#) == true)
            // Lines from the gateway's two event loops may land in either order.
            let log = try await AccessLog.lines(in: gateway, count: 3)
            let entries = log.map { "\($0["apiKey"]?.string ?? "-") \($0["errorCode"]?.string ?? "-")" }.sorted()
            #expect(entries == ["- INVALID_API_KEY", "- INVALID_API_KEY", "acme -"])
            let text = try String(contentsOfFile: gateway.directory + "/access.log", encoding: .utf8)
            #expect(!text.contains(Self.key) && !text.contains("wrong-key"))
        }

        func monthSeconds() -> Int64 {
            let window = Quota(limit: 1, period: .month).window(containing: Int64(Date().timeIntervalSince1970 * 1e9))
            return (window.end - window.start) / 1_000_000_000
        }

        @Test func aThrottledRequestGets429WithRetryAfterAndRateLimitFields() async throws {
            let gateway = try await TestGateway.start(Self.config())
            defer { Task { await gateway.stop() } }
            let client = try RawClient(port: gateway.port)
            defer { client.close() }
            for remaining in [1, 0] {
                try client.send(get("/burst"))
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.header("ratelimit") == #""route";r=\#(remaining);t=\#(2 - remaining)"#)
            }
            try client.send(get("/burst"))
            let refused = try client.readResponse()
            let problem = try expectProblem(refused, status: 429, code: "THROTTLED", close: false)
            #expect(problem["detail"]?.string == "too many requests; retry after 1 s")
            #expect(refused.header("retry-after") == "1")
            #expect(refused.header("ratelimit-policy") == #""route";q=2;w=2"#)
            #expect(refused.header("ratelimit") == #""route";r=0;t=2"#)
            // Still the same keep-alive connection.
            try client.send(get("/nope"))
            #expect(try client.readResponse().status == 404)
        }

        @Test func theQuotaIsExceededThenReportedByTheAdminAPI() async throws {
            let gateway = try await TestGateway.start(Self.config())
            defer { Task { await gateway.stop() } }
            for _ in 0..<3 {
                #expect(try exchange(port: gateway.port, get("/orders/1", headers: ["x-api-key: \(Self.key)"])).status == 200)
            }
            let refused = try exchange(port: gateway.port, get("/orders/1", headers: ["x-api-key: \(Self.key)"]))
            try expectProblem(refused, status: 429, code: "QUOTA_EXCEEDED")
            let retryAfter = try #require(refused.header("retry-after").flatMap(Int.init))
            #expect(retryAfter > 0 && retryAfter <= 31 * 86_400)
            let usage = try exchange(port: gateway.adminPort, get("/usage/acme"))
            #expect(usage.status == 200 && usage.header("content-type") == "application/json")
            let json = try JSON.parse(usage.body)
            #expect(json["apiKey"]?.string == "acme" && json["plan"]?.string == "gold")
            let quota = try #require(json["quota"])
            #expect(quota["limit"]?.int == 3 && quota["used"]?.int == 3 && quota["remaining"]?.int == 0)
            #expect(quota["period"]?.string == "MONTH")
            #expect(quota["resetsAt"]?.string?.hasSuffix("-01T00:00:00.000Z") == true)
            try expectProblem(try exchange(port: gateway.adminPort, get("/usage/nobody")), status: 404,
                              code: "RESOURCE_NOT_FOUND")
        }

        @Test func quotasAndBucketsSurviveARestartThroughTheStateFile() async throws {
            let stateDirectory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: stateDirectory) }
            let config = Self.config(state: #""state": { "path": "\#(stateDirectory)" }"#)
            let first = try await TestGateway.start(config)
            for _ in 0..<2 {
                #expect(try exchange(port: first.port, get("/orders/1", headers: ["x-api-key: \(Self.key)"])).status == 200)
            }
            #expect(try exchange(port: first.port, get("/burst")).status == 200)
            await first.stop()
            #expect(FileManager.default.fileExists(atPath: stateDirectory + "/limits.sqlite"))

            let second = try await TestGateway.start(config)
            defer { Task { await second.stop() } }
            let usage = try JSON.parse(try exchange(port: second.adminPort, get("/usage/acme")).body)
            #expect(usage["quota"]?["used"]?.int == 2)
            #expect(try exchange(port: second.port, get("/orders/1", headers: ["x-api-key: \(Self.key)"])).status == 200)
            try expectProblem(try exchange(port: second.port, get("/orders/1", headers: ["x-api-key: \(Self.key)"])),
                              status: 429, code: "QUOTA_EXCEEDED")
            // The route bucket kept its spent token too (1/s: at most one is back).
            let burst = try exchange(port: second.port, get("/burst"))
            #expect(burst.header("ratelimit") == #""route";r=0;t=2"# || burst.header("ratelimit") == #""route";r=1;t=1"#)
        }

        @Test func aGarbledStateFileIsReportedMovedAsideAndTheGatewayStillStarts() async throws {
            let stateDirectory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: stateDirectory) }
            try Data(repeating: 0x5A, count: 10_000).write(to: URL(fileURLWithPath: stateDirectory + "/limits.sqlite"))
            let gateway = try await TestGateway.start(Self.config(state: #""state": { "path": "\#(stateDirectory)" }"#))
            defer { Task { await gateway.stop() } }
            #expect(try exchange(port: gateway.port, get("/orders/1", headers: ["x-api-key: \(Self.key)"])).status == 200)
            let files = try FileManager.default.contentsOfDirectory(atPath: stateDirectory)
            #expect(files.contains { $0.hasPrefix("limits.sqlite.corrupt-") })
            #expect(files.contains("limits.sqlite"))
        }

        @Test func aTruncatedStateFileIsReportedAndTheGatewayStillStarts() async throws {
            let stateDirectory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: stateDirectory) }
            let config = Self.config(state: #""state": { "path": "\#(stateDirectory)" }"#)
            let first = try await TestGateway.start(config)
            #expect(try exchange(port: first.port, get("/orders/1", headers: ["x-api-key: \(Self.key)"])).status == 200)
            await first.stop()
            // Keep the header page only: SQLite sees a database whose pages are missing.
            let path = stateDirectory + "/limits.sqlite"
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            try bytes.prefix(max(100, bytes.count / 3)).write(to: URL(fileURLWithPath: path))
            let second = try await TestGateway.start(config)
            defer { Task { await second.stop() } }
            #expect(try exchange(port: second.port, get("/orders/1", headers: ["x-api-key: \(Self.key)"])).status == 200)
            let files = try FileManager.default.contentsOfDirectory(atPath: stateDirectory)
            #expect(files.contains { $0.hasPrefix("limits.sqlite.corrupt-") }, "\(files)")
        }
    }
}
