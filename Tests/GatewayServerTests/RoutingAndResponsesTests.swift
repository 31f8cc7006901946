import Foundation
import Testing

extension GatewayServerTests {
    @Suite struct Routing {
        static let config = TestGateway.config(#"""
            "domains": [
              { "name": "api.example.test", "mappings": [ { "basePath": "/v1", "api": "orders" },
                                                          { "basePath": "/v1/admin", "api": "admin" } ] },
              { "name": "*.tenants.example.test", "mappings": [ { "basePath": "/", "api": "admin" } ] }
            ],
            "apis": [
              { "name": "orders", "routes": [
                  { "route": "GET /orders/{id}", "integration": { "type": "mock", "status": 200, "body": "orders:get" } },
                  { "route": "DELETE /orders/{id}", "integration": { "type": "mock", "status": 204 } },
                  { "route": "GET /ping", "integration": { "type": "mock", "status": 200, "body": "pong" } } ] },
              { "name": "admin", "basePath": "/adm", "routes": [
                  { "route": "GET /orders/{id}", "integration": { "type": "mock", "status": 200, "body": "admin:get" } } ] }
            ]
            """#)

        @Test func hostDomainAndLongestBasePathSelectTheAPI() async throws {
            try await withGateway(Self.config) { gateway in
                let cases: [(host: String, path: String, body: String)] = [
                    ("api.example.test", "/v1/orders/7", "orders:get"),
                    ("API.Example.TEST:8080", "/v1/orders/7", "orders:get"),          // case and port ignored
                    ("api.example.test", "/v1/admin/orders/7", "admin:get"),          // longest base path
                    ("x.tenants.example.test", "/orders/1", "admin:get"),             // wildcard, one label
                    ("other.test", "/orders/1", "orders:get"),                        // default endpoint
                    ("other.test", "/adm/orders/1", "admin:get"),                     // default endpoint, API base path
                ]
                for c in cases {
                    let response = try exchange(port: gateway.port, get(c.path, host: c.host))
                    #expect(response.status == 200, "\(c.host)\(c.path)")
                    #expect(response.bodyText == c.body, "\(c.host)\(c.path)")
                }
                // Base paths match whole segments only; a wildcard covers exactly one label.
                let notFound: [(String, String)] = [
                    ("api.example.test", "/v1x/orders/7"), ("api.example.test", "/orders/7"),
                    ("a.b.tenants.example.test", "/admin-only"), ("other.test", "/nothing"),
                ]
                for (host, path) in notFound {
                    let response = try exchange(port: gateway.port, get(path, host: host))
                    try expectProblem(response, status: 404, code: "RESOURCE_NOT_FOUND", close: false)
                }
                // A two-label host under the wildcard falls to the default endpoint (not the wildcard's API).
                let deep = try exchange(port: gateway.port, get("/orders/2", host: "a.b.tenants.example.test"))
                #expect(deep.bodyText == "orders:get")
            }
        }

        @Test func wrongMethodIs405WithAllow() async throws {
            try await withGateway(Self.config) { gateway in
                let client = try RawClient(port: gateway.port)
                try client.send("POST /v1/orders/7 HTTP/1.1\r\nHost: api.example.test\r\nContent-Length: 2\r\n\r\n{}")
                let response = try client.readResponse()
                try expectProblem(response, status: 405, code: "METHOD_NOT_ALLOWED", close: false)
                let allow = Set((response.header("allow") ?? "").split(separator: ",").map { String($0.trimmingSpace()) })
                #expect(allow.isSuperset(of: ["GET", "DELETE"]), "Allow: \(response.header("allow") ?? "-")")
                #expect(!allow.contains("POST"))
                // The connection stays usable after a 405.
                try client.send(get("/v1/ping", host: "api.example.test"))
                #expect(try client.readResponse().bodyText == "pong")
            }
        }

        @Test func headIsAnsweredByGetRoutesWithoutABody() async throws {
            try await withGateway(Self.config) { gateway in
                let client = try RawClient(port: gateway.port)
                try client.send("HEAD /v1/orders/7 HTTP/1.1\r\nHost: api.example.test\r\n\r\n")
                let head = try client.readResponse(headRequest: true)
                #expect(head.status == 200)
                #expect(head.header("content-length") == "10")
                // If any body bytes followed the HEAD response, this next response would not parse.
                try client.send(get("/v1/ping", host: "api.example.test"))
                let next = try client.readResponse()
                #expect(next.status == 200 && next.bodyText == "pong")
                #expect(client.available == 0)
            }
        }

        @Test func headThroughHTTPIntegrationHasNoBody() async throws {
            try await withUpstream { upstream in
                let config = TestGateway.config(routes: #"""
                    { "route": "GET /file/{proxy+}", "integration": { "type": "http", "url": "\#(upstream.url)" } },
                    { "route": "GET /ping", "integration": { "type": "mock", "status": 200, "body": "pong" } }
                    """#)
                try await withGateway(config) { gateway in
                    let client = try RawClient(port: gateway.port)
                    try client.send("HEAD /file/x HTTP/1.1\r\nHost: g\r\n\r\n")
                    let head = try client.readResponse(headRequest: true)
                    #expect(head.status == 200)
                    try client.send(get("/ping"))
                    #expect(try client.readResponse().bodyText == "pong")
                    #expect(client.available == 0)
                }
            }
        }
    }

    @Suite struct MockProblemsAndLog {
        static let routes = #"""
            { "route": "GET /ping", "integration": { "type": "mock", "status": 200, "body": { "ok": true, "n": [1, 2] } } },
            { "route": "GET /text", "integration": { "type": "mock", "status": 201,
                "headers": { "Cache-Control": "no-store", "X-Custom": "yes" }, "body": "hello\n" } },
            { "route": "GET /empty", "integration": { "type": "mock", "status": 204 } }
            """#

        @Test func mockIntegrationAnswersWithStatusHeadersAndBody() async throws {
            try await withGateway(TestGateway.config(routes: Self.routes)) { gateway in
                let json = try exchange(port: gateway.port, get("/ping"))
                #expect(json.status == 200)
                #expect(json.header("content-type") == "application/json")
                #expect(try JSON.parse(json.body) == .object(["ok": .bool(true), "n": .array([.number(1), .number(2)])]))
                let text = try exchange(port: gateway.port, get("/text"))
                #expect(text.status == 201)
                #expect(text.bodyText == "hello\n")
                #expect(text.header("cache-control") == "no-store")
                #expect(text.header("x-custom") == "yes")
                #expect(text.header("content-type")?.hasPrefix("text/plain") == true)
                let empty = try exchange(port: gateway.port, get("/empty"))
                #expect(empty.status == 204)
            }
        }

        @Test func gatewayErrorsAreProblemDocuments() async throws {
            try await withGateway(TestGateway.config(routes: Self.routes)) { gateway in
                let response = try exchange(port: gateway.port, get("/missing"))
                let json = try expectProblem(response, status: 404, code: "RESOURCE_NOT_FOUND", close: false)
                #expect(json["title"]?.string == "Not Found")
                let keys = Set((json.object ?? [:]).keys)
                #expect(keys.isSuperset(of: ["type", "title", "status", "code", "detail", "requestId"]))
            }
        }

        @Test func requestIdIsKeptWhenValidAndReplacedOtherwise() async throws {
            try await withUpstream { upstream in
                let config = TestGateway.config(routes: Self.routes + #"""
                    , { "route": "GET /up", "integration": { "type": "http", "url": "\#(upstream.url)" } }
                    """#)
                try await withGateway(config) { gateway in
                    let valid = "Abc-123.def_456:xyz"
                    for path in ["/ping", "/missing", "/up"] {
                        let kept = try exchange(port: gateway.port, get(path, headers: ["X-Request-Id: \(valid)"]))
                        #expect(kept.header("x-request-id") == valid, "\(path)")
                    }
                    let forwarded = try TestUpstream.parseEcho(try exchange(port: gateway.port, get("/up", headers: ["X-Request-Id: \(valid)"])).body)
                    #expect(forwarded.headerValues("x-request-id") == [valid])
                    for invalid in ["has space", "semi;colon", String(repeating: "a", count: 129), "quote\"d", "ünïcode"] {
                        let replaced = try exchange(port: gateway.port, get("/ping", headers: ["X-Request-Id: \(invalid)"]))
                        let id = try #require(replaced.header("x-request-id"))
                        #expect(id != invalid && !id.isEmpty && id.utf8.count <= 128)
                    }
                    let max = String(repeating: "z", count: 128)
                    #expect(try exchange(port: gateway.port, get("/ping", headers: ["X-Request-Id: \(max)"])).header("x-request-id") == max)
                    // Every response, including the gateway's own 400 on a malformed request.
                    let bad = try exchange(port: gateway.port, "GET /ping HTTP/1.1\r\nHost: g\r\nContent-Length: x\r\n\r\n")
                    #expect(bad.status == 400)
                    #expect(bad.header("x-request-id")?.isEmpty == false)
                    let noId = try exchange(port: gateway.port, get("/ping"))
                    #expect(noId.header("x-request-id")?.isEmpty == false)
                }
            }
        }

        @Test func accessLogHasOneJSONLinePerRequestWithContractFields() async throws {
            try await withUpstream { upstream in
                let config = TestGateway.config(routes: Self.routes + #"""
                    , { "route": "POST /up/{id}", "integration": { "type": "http", "url": "\#(upstream.url)" } }
                    """#, extra: #""accessLog": { "path": "access.log" }"#)
                try await withGateway(config) { gateway in
                    let ping = try exchange(port: gateway.port, get("/ping", host: "logs.example.test"))
                    let missing = try exchange(port: gateway.port, get("/missing?secret=1"))
                    let up = try exchange(port: gateway.port, "POST /up/9 HTTP/1.1\r\nHost: g\r\nContent-Length: 3\r\n\r\nabc")
                    let lines = try await AccessLog.lines(in: gateway, count: 3)
                    try #require(lines.count == 3)
                    let byId = Dictionary(uniqueKeysWithValues: lines.compactMap { line in line["requestId"]?.string.map { ($0, line) } })
                    let rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

                    let aId = try #require(ping.header("x-request-id"))
                    let a = try #require(byId[aId])
                    #expect(a["time"]?.string?.wholeMatch(of: rfc3339) != nil, "time: \(a["time"]?.string ?? "-")")
                    #expect(a["clientIp"]?.string == "127.0.0.1")
                    #expect(a["method"]?.string == "GET")
                    #expect(a["host"]?.string == "logs.example.test")
                    #expect(a["path"]?.string == "/ping")
                    #expect(a["protocol"]?.string == "HTTP/1.1")
                    #expect(a["status"]?.int == 200)
                    #expect(a["bytes"]?.int == ping.bodyLength)
                    #expect(a["latencyMs"]?.double != nil)
                    #expect(a["api"]?.string == "test")
                    #expect(a["route"]?.string == "GET /ping")
                    #expect(a["errorCode"] == nil)
                    #expect(a["integrationLatencyMs"] == nil)

                    let bId = try #require(missing.header("x-request-id"))
                    let b = try #require(byId[bId])
                    #expect(b["status"]?.int == 404)
                    #expect(b["errorCode"]?.string == "RESOURCE_NOT_FOUND")
                    #expect(b["path"]?.string == "/missing")
                    #expect(b["route"] == nil && b["api"] == nil)

                    let cId = try #require(up.header("x-request-id"))
                    let c = try #require(byId[cId])
                    #expect(c["method"]?.string == "POST")
                    #expect(c["status"]?.int == 200)
                    #expect(c["route"]?.string == "POST /up/{id}")
                    #expect(c["integrationLatencyMs"]?.double != nil)
                    #expect(c["bytes"]?.int == up.bodyLength)
                }
            }
        }
    }
}
