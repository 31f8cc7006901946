import Foundation
import Testing

extension GatewayServerTests {
    /// Route `validate` end to end: parameters and bodies checked before the integration, every violation listed,
    /// 415 for non-JSON bodies, and hostile inputs (deep nesting, catastrophic patterns) answered, not suffered.
    @Suite struct RequestValidation {
        static let models = #"""
        "models": {
          "Item": { "type": "object", "required": ["sku", "qty"],
                    "properties": { "sku": { "type": "string", "minLength": 1 }, "qty": { "type": "integer", "minimum": 1 } } },
          "NewOrder": { "type": "object", "required": ["items"], "additionalProperties": false,
                        "properties": { "items": { "type": "array", "minItems": 1, "items": { "$ref": "#/models/Item" } },
                                        "note": { "type": "string", "maxLength": 5 },
                                        "placed": { "type": "string", "format": "date-time" } } },
          "Tree": { "type": "object", "properties": { "child": { "$ref": "#/models/Tree" } } },
          "Loop": { "$ref": "#/models/Loop" }
        }
        """#

        static func config(upstreamURL: String) -> String {
            TestGateway.config(routes: #"""
            { "route": "POST /orders", "integration": { "type": "http", "url": "\#(upstreamURL)" },
              "validate": { "body": { "$ref": "#/models/NewOrder" },
                            "parameters": { "header.X-Tenant": { "required": true },
                                            "query.dryRun": { "schema": { "type": "boolean" } },
                                            "query.limit": { "schema": { "type": "integer", "maximum": 100 } } } } },
            { "route": "GET /orders/{id}", "integration": { "type": "mock", "body": "order" },
              "validate": { "parameters": { "path.id": { "schema": { "type": "string", "pattern": "^[0-9]+$" } } } } },
            { "route": "POST /many", "integration": { "type": "mock", "body": "ok" },
              "validate": { "maxErrors": 3, "body": { "type": "object",
                            "required": ["a", "b", "c", "d", "e", "f"] } } },
            { "route": "POST /pattern", "integration": { "type": "mock", "body": "ok" },
              "validate": { "body": { "type": "string", "pattern": "^(a+)+$" } } },
            { "route": "POST /tree", "integration": { "type": "mock", "body": "ok" }, "validate": { "body": { "$ref": "#/models/Tree" } } },
            { "route": "POST /loop", "integration": { "type": "mock", "body": "ok" }, "validate": { "body": { "$ref": "#/models/Loop" } } },
            { "route": "GET /ping", "integration": { "type": "mock", "body": "pong" } }
            """#, extra: models)
        }

        static func post(_ path: String, _ body: String, contentType: String? = "application/json",
                         headers: [String] = ["X-Tenant: t1"]) -> String {
            var request = "POST \(path) HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: \(body.utf8.count)\r\n"
            if let contentType { request += "Content-Type: \(contentType)\r\n" }
            for header in headers { request += header + "\r\n" }
            return request + "\r\n" + body
        }

        static func errors(_ json: JSON) -> [[String: String]] {
            (json["errors"]?.array ?? []).map { error in
                var fields: [String: String] = [:]
                for key in ["in", "name", "pointer", "keyword", "message"] { fields[key] = error[key]?.string }
                return fields
            }
        }

        static let validOrder = #"{"items":[{"sku":"a-1","qty":2}],"placed":"2026-11-29T10:00:00Z"}"#

        @Test func aValidBodyIsForwardedUnchanged() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstreamURL: upstream.url)) { gateway in
                    let response = try exchange(port: gateway.port, Self.post("/orders?dryRun=true&limit=5", Self.validOrder))
                    #expect(response.status == 200, "\(response.bodyText)")
                    let echo = try TestUpstream.parseEcho(response.body)
                    #expect(echo.bodyLength == Self.validOrder.utf8.count)
                    #expect(echo.uri == "/orders?dryRun=true&limit=5")
                }
            }
        }

        @Test func everyBodyViolationIsListedWithItsPointer() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstreamURL: upstream.url)) { gateway in
                    let body = #"{"items":[{"sku":"","qty":0},{"qty":"2"}],"note":"too long","placed":"yesterday","extra":1}"#
                    let response = try exchange(port: gateway.port, Self.post("/orders", body))
                    let json = try expectProblem(response, status: 400, code: "BAD_REQUEST_BODY", close: false)
                    let errors = Self.errors(json)
                    let found = Set(errors.map { "\($0["pointer"] ?? "?") \($0["keyword"] ?? "?")" })
                    for expected in ["/items/0/sku minLength", "/items/0/qty minimum", "/items/1 required",
                                     "/items/1/qty type", "/note maxLength", "/placed format", " additionalProperties"] {
                        #expect(found.contains(expected), "missing \(expected) in \(errors)")
                    }
                    #expect(errors.allSatisfy { $0["in"] == "body" && !($0["message"] ?? "").isEmpty })
                    #expect(upstream.requestCount == 0, "an invalid body reached the upstream")
                }
            }
        }

        @Test func nonJSONAndUnparsableBodies() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstreamURL: upstream.url)) { gateway in
                    try expectProblem(try exchange(port: gateway.port, Self.post("/orders", "a=1", contentType: "application/x-www-form-urlencoded")),
                                      status: 415, code: "UNSUPPORTED_MEDIA_TYPE")
                    try expectProblem(try exchange(port: gateway.port, Self.post("/orders", Self.validOrder, contentType: nil)),
                                      status: 415, code: "UNSUPPORTED_MEDIA_TYPE")
                    let structured = try exchange(port: gateway.port, Self.post("/orders", Self.validOrder, contentType: "application/vnd.order+json; charset=utf-8"))
                    #expect(structured.status == 200, "+json is JSON: \(structured.bodyText)")
                    let broken = try expectProblem(try exchange(port: gateway.port, Self.post("/orders", #"{"items": [1,}"#)),
                                                   status: 400, code: "BAD_REQUEST_BODY")
                    #expect(broken["detail"]?.string?.contains("JSON") == true, "\(broken)")
                    try expectProblem(try exchange(port: gateway.port, Self.post("/orders", "")), status: 400, code: "BAD_REQUEST_BODY")
                    #expect(upstream.requestCount == 1)
                }
            }
        }

        @Test func parametersAreConvertedAndChecked() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstreamURL: upstream.url)) { gateway in
                    let response = try exchange(port: gateway.port, Self.post("/orders?dryRun=maybe&limit=500", Self.validOrder, headers: []))
                    let json = try expectProblem(response, status: 400, code: "BAD_REQUEST_PARAMETERS")
                    let errors = Self.errors(json)
                    #expect(errors.contains { $0["in"] == "header" && $0["name"] == "x-tenant" && $0["keyword"] == "required" }, "\(errors)")
                    #expect(errors.contains { $0["in"] == "query" && $0["name"] == "dryRun" && $0["keyword"] == "type" }, "\(errors)")
                    #expect(errors.contains { $0["in"] == "query" && $0["name"] == "limit" && $0["keyword"] == "maximum" }, "\(errors)")
                    let path = try expectProblem(try exchange(port: gateway.port, get("/orders/abc")), status: 400, code: "BAD_REQUEST_PARAMETERS")
                    #expect(Self.errors(path).first?["name"] == "id" && Self.errors(path).first?["keyword"] == "pattern")
                    #expect(try exchange(port: gateway.port, get("/orders/42")).status == 200)
                    #expect(upstream.requestCount == 0)
                }
            }
        }

        @Test func violationsAreCappedWithANote() async throws {
            try await withGateway(Self.config(upstreamURL: "http://127.0.0.1:9")) { gateway in
                let json = try expectProblem(try exchange(port: gateway.port, Self.post("/many", "{}")), status: 400, code: "BAD_REQUEST_BODY")
                #expect(Self.errors(json).count == 3)
                #expect(json["errorsTruncated"] != nil, "\(json)")
            }
        }

        @Test func hostileBodiesAreAnsweredAndTheGatewayKeepsServing() async throws {
            try await withGateway(Self.config(upstreamURL: "http://127.0.0.1:9")) { gateway in
                let deep = String(repeating: "[", count: 100_000)
                let nested = try expectProblem(try exchange(port: gateway.port, Self.post("/many", deep)), status: 400, code: "BAD_REQUEST_BODY")
                #expect(nested["detail"]?.string?.contains("deep") == true, "\(nested)")
                // Catastrophic backtracking in a backtracking engine; linear here.
                let evil = "\"" + String(repeating: "a", count: 50_000) + "b\""
                let pattern = try expectProblem(try exchange(port: gateway.port, Self.post("/pattern", evil)), status: 400, code: "BAD_REQUEST_BODY")
                #expect(Self.errors(pattern).first?["keyword"] == "pattern")
                #expect(try exchange(port: gateway.port, Self.post("/pattern", "\"aaaa\"")).status == 200)
                try expectStillServing(port: gateway.port)
            }
        }

        @Test func recursiveModelsAndReferenceCycles() async throws {
            try await withGateway(Self.config(upstreamURL: "http://127.0.0.1:9")) { gateway in
                // A legitimately deep instance of a recursive model is fine (up to the parser's nesting limit)...
                var tree = "{}"
                for _ in 0..<100 { tree = #"{"child":"# + tree + "}" }
                let deep = try exchange(port: gateway.port, Self.post("/tree", tree))
                #expect(deep.status == 200, "\(deep.bodyText.suffix(300))")
                // ...and a reference cycle that never advances ends in a 400, not a crash or a hang.
                let loop = try expectProblem(try exchange(port: gateway.port, Self.post("/loop", "{}")), status: 400, code: "BAD_REQUEST_BODY")
                #expect(Self.errors(loop).first?["message"]?.contains("nested schema evaluations") == true, "\(loop)")
                try expectStillServing(port: gateway.port)
            }
        }

        /// A mock route answers a validated body at once and the next pipelined request starts inside that answer:
        /// the answered body must not stay queued and reach the next request's upstream (it would be read as the
        /// start of that request's body, and the rest of its body as another request).
        @Test func aMockAnsweredBodyNeverReachesTheNextPipelinedRequest() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstreamURL: upstream.url)) { gateway in
                    let port = gateway.port
                    let mockBody = #"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}"#
                    try await onThread {
                        let client = try RawClient(port: port)
                        try client.send(Self.post("/orders", Self.validOrder) + Self.post("/many", mockBody)
                                        + Self.post("/orders", Self.validOrder))
                        let responses = try client.readResponses(3)
                        #expect(responses.map(\.status) == [200, 200, 200])
                        for index in [0, 2] {
                            #expect(try TestUpstream.parseEcho(responses[index].body).bodyLength == Self.validOrder.utf8.count)
                        }
                        try client.send(Self.post("/orders", Self.validOrder))
                        #expect(try client.readResponse().status == 200)
                    }
                    // Every proxied request went over one pooled connection: no stray bytes broke it.
                    #expect(upstream.connectionCount == 1)
                }
            }
        }

        @Test func aChunkedBodyIsValidatedThenForwarded() async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstreamURL: upstream.url)) { gateway in
                    let body = Self.validOrder
                    let half = body.utf8.count / 2
                    let first = String(body.prefix(half)), second = String(body.dropFirst(half))
                    let request = "POST /orders HTTP/1.1\r\nHost: g\r\nX-Tenant: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + String(first.utf8.count, radix: 16) + "\r\n" + first + "\r\n"
                        + String(second.utf8.count, radix: 16) + "\r\n" + second + "\r\n0\r\n\r\n"
                    let response = try exchange(port: gateway.port, request)
                    #expect(response.status == 200, "\(response.bodyText)")
                    #expect(try TestUpstream.parseEcho(response.body).bodyLength == body.utf8.count)
                    // A chunked body with no data at all is not JSON: answered, not left waiting.
                    let empty = "POST /orders HTTP/1.1\r\nHost: g\r\nX-Tenant: t\r\nContent-Type: application/json\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                    try expectProblem(try exchange(port: gateway.port, empty), status: 400, code: "BAD_REQUEST_BODY")
                    #expect(upstream.requestCount == 1)
                }
            }
        }
    }
}
