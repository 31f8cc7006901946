import Foundation
import GatewayCore
import Testing
@testable import GatewayConfig

@Suite struct IntegrationDecoderTests {
    let p = "/apis/0/routes/0/integration"

    func integration(_ json: String, route: String = "GET /orders/{id}", env: [String: String] = [:]) throws -> Integration {
        let result = TestConfig.compile(TestConfig.withIntegration(json, route: route), env: env)
        #expect(result.diagnostics == [])
        return try #require(TestConfig.firstRoute(result)).integration
    }

    func lines(_ json: String, route: String = "GET /orders/{id}") -> [String] {
        TestConfig.lines(TestConfig.withIntegration(json, route: route))
    }

    func http(_ json: String, route: String = "GET /orders/{id}", env: [String: String] = [:]) throws -> HTTPIntegration {
        guard case .http(let h) = try integration(json, route: route, env: env) else { throw Unexpected() }
        return h
    }

    func mock(_ json: String, env: [String: String] = [:]) throws -> MockIntegration {
        guard case .mock(let m) = try integration(json, env: env) else { throw Unexpected() }
        return m
    }

    struct Unexpected: Error {}

    @Test func httpWithURL() throws {
        let h = try http(#"{"type": "http", "url": "http://127.0.0.1:9001/base/"}"#)
        #expect(h.targets == [UpstreamTarget(host: "127.0.0.1", port: 9001, basePath: "/base")])
        #expect(h.pathTemplate == nil)
        let fromEnv = try http(#"{"type": "http", "url": "http://${UP}"}"#, env: ["UP": "orders:8080"])
        #expect(fromEnv.targets == [UpstreamTarget(host: "orders", port: 8080, basePath: "")])
    }

    @Test func httpWithTargets() throws {
        let h = try http(#"{"type": "http", "targets": ["http://a:9001", "http://[::1]:9002/x"]}"#)
        #expect(h.targets == [UpstreamTarget(host: "a", port: 9001, basePath: ""), UpstreamTarget(host: "::1", port: 9002, basePath: "/x")])
    }

    @Test func httpPathTemplates() throws {
        let h = try http(#"{"type": "http", "url": "http://a", "path": "/internal/orders/{id}"}"#)
        #expect(h.pathTemplate == PathTemplate(parts: [.literal("/internal/orders/"), .parameter("id")]))
        let greedy = try http(#"{"type": "http", "url": "http://a", "path": "/files/{proxy}/raw"}"#, route: "ANY /legacy/{proxy+}")
        #expect(greedy.pathTemplate == PathTemplate(parts: [.literal("/files/"), .parameter("proxy"), .literal("/raw")]))
        let plus = try http(#"{"type": "http", "url": "http://a", "path": "/{proxy+}"}"#, route: "ANY /{proxy+}")
        #expect(plus.pathTemplate == PathTemplate(parts: [.literal("/"), .parameter("proxy")]))
    }

    @Test func httpErrors() throws {
        #expect(lines(#"{"type": "http"}"#) == [#"\#(p): missing required key "url" (or "targets")"#])
        #expect(lines(#"{"type": "http", "url": "http://a", "targets": ["http://b"]}"#) == [#"\#(p): use either "url" or "targets", not both"#])
        #expect(lines(#"{"type": "http", "targets": []}"#) == ["\(p)/targets: must not be empty"])
        #expect(lines(#"{"type": "http", "targets": "http://a"}"#) == ["\(p)/targets: must be an array (got string)"])
        #expect(lines(#"{"type": "http", "targets": ["http://a", "ftp://b", 3]}"#) == [
            #"\#(p)/targets/1: must be an http:// or https:// URL such as "http://127.0.0.1:9001" (got "ftp://b")"#,
            "\(p)/targets/2: must be a string (got number)",
        ])
        let ca = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("certs/portcullis-dev-ca.crt").path
        #expect(lines(#"{"type": "http", "url": "http://a", "caFile": "\#(ca)"}"#) == [#"\#(p)/caFile: applies to https:// upstreams only"#])
        #expect(try http(#"{"type": "http", "url": "https://a", "caFile": "\#(ca)"}"#).targets[0].tls == UpstreamTLS(caFile: ca))
        let missing = lines(#"{"type": "http", "url": "https://a", "caFile": "/nonexistent/ca.pem"}"#)
        #expect(missing.count == 1 && missing[0].hasPrefix(#"\#(p)/caFile: "#) && missing[0].contains("no such file"))
        #expect(lines(#"{"type": "http", "url": "https://a", "caFile": "/etc/hostname"}"#).first?.contains("no certificate") == true)
        #expect(lines(#"{"type": "http", "url": "http://a?x=1"}"#) == [#"\#(p)/url: must not contain a query or fragment (got "http://a?x=1")"#])
        #expect(lines(#"{"type": "http", "url": "http://a", "timeout": 5}"#) == [#"\#(p)/timeout: unknown key "timeout""#])
    }

    @Test func pathTemplateErrors() {
        func path(_ template: String, route: String = "GET /orders/{id}") -> [String] {
            lines(#"{"type": "http", "url": "http://a", "path": "\#(template)"}"#, route: route)
        }
        #expect(path("/internal/{orderId}") == [#"\#(p)/path: path parameter "orderId" is not in the route key "GET /orders/{id}""#])
        #expect(path("/x/{proxy}") == [#"\#(p)/path: path parameter "proxy" is not in the route key "GET /orders/{id}""#])
        #expect(path("/x/{id}", route: "$default") == [#"\#(p)/path: path parameter "id" is not in the route key "$default""#])
        #expect(path("internal") == [#"\#(p)/path: must start with "/" (got "internal")"#])
        #expect(path("/x/{id") == [#"\#(p)/path: unclosed "{" in path template "/x/{id""#])
        #expect(path("/x/{}") == [#"\#(p)/path: invalid parameter name "" in path template "/x/{}""#])
        #expect(path("/x?y") == [#"\#(p)/path: invalid character "?" in path template "/x?y""#])
    }

    @Test func typeErrors() {
        #expect(lines("{}") == [#"\#(p): missing required key "type""#])
        #expect(lines(#"{"type": "lambda", "function": "f"}"#) == [#"\#(p)/type: must be one of "http", "mock", "function" or "queue" (got "lambda")"#])
        #expect(lines(#""http""#) == ["\(p): must be an object (got string)"])
    }

    @Test func functionIntegrationsNameADefinedFunction() throws {
        let functions = #""functions": [{"name": "create-order", "command": ["python3", "bootstrap.py"], "payloadFormat": "1.0"}]"#
        let result = TestConfig.compile(TestConfig.withRoutes(
            [#"{"route": "POST /orders", "integration": {"type": "function", "function": "create-order"}}"#], top: functions))
        #expect(result.diagnostics == [])
        guard case .function(let function) = try #require(TestConfig.firstRoute(result)).integration else {
            Issue.record("not a function integration")
            return
        }
        #expect(function.functionName == "create-order" && function.functionIndex == 0 && function.payloadFormat == .v1)
        #expect(TestConfig.lines(TestConfig.withRoutes(
            [#"{"route": "POST /orders", "integration": {"type": "function", "function": "create-ordr"}}"#], top: functions))
            == [#"\#(p)/function: no function named "create-ordr"; did you mean "create-order"?"#])
        #expect(lines(#"{"type": "function", "function": "create-order"}"#)
            == [#"\#(p)/function: no function named "create-order"; "functions" defines none"#])
        #expect(lines(#"{"type": "function"}"#) == [#"\#(p): missing required key "function""#])
        let event = TestConfig.compile(TestConfig.withRoutes(
            [#"{"route": "POST /orders", "integration": {"type": "function", "function": "create-order", "invocationType": "Event"}}"#],
            top: functions))
        #expect(event.diagnostics == [])
        guard case .function(let asynchronous) = try #require(TestConfig.firstRoute(event)).integration else {
            Issue.record("not a function integration")
            return
        }
        #expect(asynchronous.invocationType == .event && function.invocationType == .requestResponse)
        #expect(TestConfig.lines(TestConfig.withRoutes(
            [#"{"route": "POST /orders", "integration": {"type": "function", "function": "create-order", "invocationType": "DryRun"}}"#],
            top: functions))
            == [#"\#(p)/invocationType: must be "RequestResponse" or "Event" (got "DryRun")"#])
    }

    @Test func idempotencyKeyNamesAHeaderOfA202Route() throws {
        let queues = #""queues": [{"name": "orders"}], "functions": [{"name": "f", "command": ["a"]}]"#
        let result = TestConfig.compile(TestConfig.withRoutes(
            [#"{"route": "POST /orders", "integration": {"type": "queue", "queue": "orders"}, "idempotencyKey": "header.Idempotency-Key"}"#,
             #"{"route": "POST /jobs", "integration": {"type": "function", "function": "f", "invocationType": "Event"}, "idempotencyKey": "header.x-k"}"#],
            top: queues))
        #expect(result.diagnostics == [])
        #expect(result.snapshot?.apis.first?.routes.map(\.idempotencyHeader) == ["idempotency-key", "x-k"])
        #expect(TestConfig.lines(TestConfig.withRoutes(
            [#"{"route": "POST /orders", "integration": {"type": "queue", "queue": "orders"}, "idempotencyKey": "query.k"}"#],
            top: queues))
            == [#"/apis/0/routes/0/idempotencyKey: must be "header.NAME" with NAME a header field name (got "query.k")"#])
        #expect(TestConfig.lines(TestConfig.withRoutes(
            [#"{"route": "POST /orders", "integration": {"type": "queue", "queue": "orders"}, "idempotencyKey": "header.a b"}"#],
            top: queues)).count == 1)
        #expect(TestConfig.lines(TestConfig.withRoutes(
            [#"{"route": "POST /jobs", "integration": {"type": "function", "function": "f"}, "idempotencyKey": "header.k"}"#],
            top: queues))
            == [#"/apis/0/routes/0/idempotencyKey: applies to routes that answer 202: a "queue" integration, or a "function" with "invocationType": "Event""#])
    }

    @Test func queueIntegrationsNameADefinedQueue() throws {
        let queues = #""queues": [{"name": "orders"}, {"name": "orders-dlq"}]"#
        func route(_ integration: String, top: String? = nil) -> String {
            TestConfig.withRoutes([#"{"route": "POST /orders", "integration": \#(integration)}"#], top: top ?? queues)
        }
        let result = TestConfig.compile(route(#"{"type": "queue", "queue": "orders"}"#))
        #expect(result.diagnostics == [])
        guard case .queue(let queue) = try #require(TestConfig.firstRoute(result)).integration else {
            Issue.record("not a queue integration")
            return
        }
        #expect(queue == QueueIntegration(queue: "orders"))
        #expect(TestConfig.lines(route(#"{"type": "queue", "queue": "ordrs"}"#))
            == [#"\#(p)/queue: no queue named "ordrs"; did you mean "orders"?"#])
        #expect(TestConfig.lines(route(#"{"type": "queue", "queue": "billing"}"#)) == [#"\#(p)/queue: no queue named "billing""#])
        #expect(lines(#"{"type": "queue", "queue": "orders"}"#) == [#"\#(p)/queue: no queue named "orders"; "queues" defines none"#])
        #expect(TestConfig.compile(route(#"{"type": "queue", "queue": "ordrs"}"#)).snapshot == nil)
        #expect(lines(#"{"type": "queue"}"#) == [#"\#(p): missing required key "queue""#])
        #expect(lines(#"{"type": "queue", "queue": ["orders"]}"#) == ["\(p)/queue: must be a string (got array)"])
        #expect(TestConfig.lines(route(#"{"type": "queue", "queue": "orders", "function": "f"}"#))
            == [#"\#(p)/function: unknown key "function""#])
        // A queues section with errors: the route's name is not checked against it.
        #expect(TestConfig.lines(route(#"{"type": "queue", "queue": "orders"}"#, top: #""queues": [{"name": "orders", "delay": "1h"}]"#))
            == ["/queues/0/delay: must be between 0 and 15m (got 1h)"])
    }

    @Test func mockDefaults() throws {
        let m = try mock(#"{"type": "mock"}"#)
        #expect(m.status == 200 && m.headers.isEmpty && m.body.isEmpty)
    }

    @Test func mockStringBody() throws {
        let m = try mock(#"{"type": "mock", "status": 201, "body": "hello ${WHO}"}"#, env: ["WHO": "you"])
        #expect(m.status == 201)
        #expect(String(decoding: m.body, as: UTF8.self) == "hello you")
        #expect(m.headers.map { "\($0.name): \($0.value)" } == ["content-type: text/plain; charset=utf-8"])
    }

    @Test func mockJSONBodyIsCompactAndTyped() throws {
        let m = try mock(#"{"type": "mock", "headers": {"X-Id": "7"}, "body": { "ok" : true, "n": [1.0, "${V}"] }}"#, env: ["V": "v"])
        #expect(String(decoding: m.body, as: UTF8.self) == #"{"ok":true,"n":[1.0,"v"]}"#)
        #expect(m.headers.map { "\($0.name): \($0.value)" } == ["X-Id: 7", "content-type: application/json"])
        let null = try mock(#"{"type": "mock", "body": null}"#)
        #expect(String(decoding: null.body, as: UTF8.self) == "null")
    }

    @Test func mockConfiguredContentTypeWins() throws {
        let json = try mock(#"{"type": "mock", "headers": {"Content-Type": "application/hal+json"}, "body": {"a": 1}}"#)
        #expect(json.headers.map { "\($0.name): \($0.value)" } == ["Content-Type: application/hal+json"])
        let text = try mock(#"{"type": "mock", "headers": {"content-type": "text/html"}, "body": "<p>"}"#)
        #expect(text.headers.map { "\($0.name): \($0.value)" } == ["content-type: text/html"])
    }

    @Test func mockErrors() {
        #expect(lines(#"{"type": "mock", "status": 600}"#) == ["\(p)/status: must be between 100 and 599 (got 600)"])
        #expect(lines(#"{"type": "mock", "status": "200"}"#) == ["\(p)/status: must be an integer (got string)"])
        #expect(lines(#"{"type": "mock", "headers": {"bad name": "x", "X-A": 1, "X-B": "a\nb", "x-b": "c"}}"#) == [
            #"\#(p)/headers/bad name: invalid header name "bad name""#,
            "\(p)/headers/X-A: must be a string (got number)",
            "\(p)/headers/X-B: header value must not contain CR, LF or NUL",
            #"\#(p)/headers/x-b: duplicate header "x-b" (also "X-B"; header names are case-insensitive)"#,
        ])
        #expect(lines(#"{"type": "mock", "headers": ["x"]}"#) == ["\(p)/headers: must be an object (got array)"])
        #expect(lines(#"{"type": "mock", "status": 204, "body": "x"}"#) == ["\(p)/body: a 204 response cannot have a body"])
        #expect(lines(#"{"type": "mock", "body": {"t": "${NOPE}"}}"#) == [#"\#(p)/body/t: environment variable "NOPE" is not set"#])
        #expect(lines(#"{"type": "mock", "url": "http://a"}"#) == [#"\#(p)/url: unknown key "url""#])
    }
}
