import Foundation
import Testing

/// Routes to hosted functions end to end: real python workers behind the gateway, for both payload formats,
/// with the stdlib-only runtime of `examples/functions/stdlib` and, where installed, AWS's own `awslambdaric`.
extension GatewayServerTests {
    @Suite(.serialized, .enabled(if: TestPython.executable != nil, "needs python3 (/usr/bin/python3 or /usr/local/bin/python3)"))
    struct Functions {
        static let handler = """
        import base64, json, os, time

        def handler(event, context):
            path = event.get("rawPath") or event.get("path") or ""
            v2 = event.get("version") == "2.0"
            if path.endswith("/echo"):
                return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
            if path.endswith("/binary"):
                raw = base64.b64decode(event["body"]) if event.get("isBase64Encoded") else (event.get("body") or "").encode()
                return {"statusCode": 200, "headers": {"content-type": "application/octet-stream"},
                        "body": base64.b64encode(raw[::-1]).decode(), "isBase64Encoded": True}
            if path.endswith("/cookies"):
                if v2:
                    return {"statusCode": 201, "cookies": ["a=1; Path=/", "b=2"], "body": "set"}
                return {"statusCode": 201, "multiValueHeaders": {"Set-Cookie": ["a=1; Path=/", "b=2"]}, "body": "set"}
            if path.endswith("/raise"):
                raise ValueError("secret detail from the handler")
            if path.endswith("/sleep"):
                time.sleep(float(event["queryStringParameters"]["s"]))
                return {"statusCode": 200, "body": "slept"}
            if path.endswith("/bad"):
                return {"statusCode": "two hundred"}
            if path.endswith("/plain"):
                return {"message": "hi", "greeting": os.environ.get("GREETING")}
            if path.endswith("/pid"):
                return {"statusCode": 200, "body": json.dumps({"pid": os.getpid(), "greeting": os.environ.get("GREETING")})}
            return {"statusCode": 404, "body": "no such test path"}
        """

        static var python: String? { HostedFunctionTests.python }

        /// A gateway whose API `fn` routes `/v1/...` and `/v2/...` to the stdlib runtime (payload 1.0 and 2.0).
        func withFunctions(timeout: String = "5s", maxConcurrency: Int = 2, extraFunctions: String = "",
                           extraRoutes: String = "", tls: HTTP2.Setup? = nil,
                           _ body: (TestGateway, URL) async throws -> Void) async throws {
            let python = try #require(Self.python)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-fn-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            try Self.handler.write(to: folder.appendingPathComponent("app.py"), atomically: true, encoding: .utf8)
            func function(_ name: String, _ format: String) -> String {
                #"""
                { "name": "\#(name)", "command": ["\#(python)", "\#(HostedFunctionTests.bootstrap)", "app.handler"],
                  "workingDirectory": "\#(folder.path)", "payloadFormat": "\#(format)", "provisioned": 1,
                  "maxConcurrency": \#(maxConcurrency), "timeout": "\#(timeout)", "environment": { "GREETING": "hi" } }
                """#
            }
            var config = TestGateway.config(#"""
                "accessLog": { "path": "access.log" },
                "functions": [ \#(function("fn2", "2.0")), \#(function("fn1", "1.0")) \#(extraFunctions) ],
                "apis": [ { "name": "fn", "routes": [
                  { "route": "ANY /v2/{p+}", "integration": { "type": "function", "function": "fn2" } },
                  { "route": "ANY /v1/{p+}", "integration": { "type": "function", "function": "fn1" } }
                  \#(extraRoutes) ] } ]
                """#)
            if let tls {
                config = config.replacingOccurrences(of: #""listen": { "http": "127.0.0.1:0" }"#, with: #"""
                    "listen": { "http": "127.0.0.1:0", "https": "127.0.0.1:0" },
                    "tls": { "certificates": [ { "cert": "\#(tls.certificate.cert)", "key": "\#(tls.certificate.key)" } ] }
                    """#)
            }
            try await withGateway(config) { gateway in try await body(gateway, folder) }
        }

        @Test func http2ClientsReachFunctions() async throws {
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let setup = HTTP2.Setup(directory: directory, certificate: try ExternalTool.makeCertificate(
                names: ["localhost", "127.0.0.1"], directory: directory, file: "localhost"))
            try await withFunctions(tls: setup) { gateway, _ in
                let port = try #require(gateway.runtime.httpsAddress?.port)
                let get = try HTTP2.curl(setup, port, "/v2/echo?q=1")
                #expect(get.version == "2" && get.status == 200)
                let event = try #require(try JSONSerialization.jsonObject(with: Data(get.body.utf8)) as? [String: Any])
                let http = (event["requestContext"] as? [String: Any])?["http"] as? [String: Any]
                #expect(http?["protocol"] as? String == "HTTP/2.0" && event["rawQueryString"] as? String == "q=1")
                // A body streamed without Content-Length reaches the function whole.
                let post = try HTTP2.curl(setup, port, "/v2/echo", ["-H", "content-type: text/plain", "-H",
                                                                   "transfer-encoding: chunked", "--data-binary", "@-"],
                                          input: "streamed body")
                let posted = try #require(try JSONSerialization.jsonObject(with: Data(post.body.utf8)) as? [String: Any])
                #expect(post.status == 200 && posted["body"] as? String == "streamed body")
            }
        }

        func json(_ response: RawResponse) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        }

        func accessLog(_ gateway: TestGateway) throws -> [[String: Any]] {
            let text = (try? String(contentsOfFile: gateway.directory + "/access.log", encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }

        @Test func aVersion2RouteSendsTheHTTPAPIEvent() async throws {
            try await withFunctions { gateway, _ in
                let response = try exchange(port: gateway.port, get("/v2/a/echo?x=1&x=2", headers: ["Cookie: c1=v1; c2=v2"]))
                #expect(response.status == 200 && response.header("content-type") == "application/json")
                let event = try json(response)
                #expect(event["version"] as? String == "2.0" && event["routeKey"] as? String == "ANY /v2/{p+}")
                #expect(event["rawPath"] as? String == "/v2/a/echo" && event["rawQueryString"] as? String == "x=1&x=2")
                #expect(event["cookies"] as? [String] == ["c1=v1", "c2=v2"])
                #expect(event["queryStringParameters"] as? [String: String] == ["x": "1,2"])
                #expect(event["pathParameters"] as? [String: String] == ["p": "a/echo"])
                let context = try #require(event["requestContext"] as? [String: Any])
                #expect(context["requestId"] as? String == response.header("x-request-id"))
                #expect((context["http"] as? [String: Any])?["sourceIp"] as? String == "127.0.0.1")
            }
        }

        @Test func aVersion1RouteSendsTheRESTAPIEvent() async throws {
            try await withFunctions { gateway, _ in
                let event = try json(try exchange(port: gateway.port, get("/v1/b/echo?x=1&x=2")))
                #expect(event["httpMethod"] as? String == "GET" && event["resource"] as? String == "/v1/{p+}")
                #expect(event["path"] as? String == "/v1/b/echo")
                #expect(event["multiValueQueryStringParameters"] as? [String: [String]] == ["x": ["1", "2"]])
                #expect(event["queryStringParameters"] as? [String: String] == ["x": "2"])
                #expect(event["body"] is NSNull && event["isBase64Encoded"] as? Bool == false)
            }
        }

        @Test func binaryBodiesTravelAsBase64BothWays() async throws {
            try await withFunctions { gateway, _ in
                let payload: [UInt8] = [0xFF, 0x00, 0xFE, 0x80, 0x41]
                let head = "POST /v2/binary HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\nContent-Length: 5\r\n\r\n"
                let client = try RawClient(port: gateway.port)
                defer { client.close() }
                try client.send(Array(head.utf8) + payload)
                let response = try client.readResponse()
                #expect(response.status == 200 && response.body == payload.reversed())
                #expect(response.header("content-type") == "application/octet-stream")
            }
        }

        @Test func cookiesBecomeSetCookieFieldsInBothFormats() async throws {
            try await withFunctions { gateway, _ in
                for version in ["v1", "v2"] {
                    let response = try exchange(port: gateway.port, get("/\(version)/cookies"))
                    #expect(response.status == 201 && response.headerValues("set-cookie") == ["a=1; Path=/", "b=2"])
                }
            }
        }

        @Test func aVersion2ResultWithoutStatusCodeIsA200JSONBody() async throws {
            try await withFunctions { gateway, _ in
                let response = try exchange(port: gateway.port, get("/v2/plain"))
                #expect(response.status == 200 && response.header("content-type") == "application/json")
                #expect(try json(response)["greeting"] as? String == "hi")
                // 1.0 has no inference: the same result is malformed there.
                #expect(try exchange(port: gateway.port, get("/v1/plain")).status == 502)
            }
        }

        @Test func aFunctionErrorIs502AndItsTypeIsLoggedNotSent() async throws {
            try await withFunctions { gateway, _ in
                let response = try exchange(port: gateway.port, get("/v2/raise"))
                try expectProblem(response, status: 502, code: "INTEGRATION_FAILURE")
                #expect(!response.bodyText.contains("secret") && !response.bodyText.contains("ValueError"))
                let malformed = try exchange(port: gateway.port, get("/v2/bad"))
                try expectProblem(malformed, status: 502, code: "INTEGRATION_FAILURE")
                #expect(try await eventually { try accessLog(gateway).count >= 2 })
                #expect(try accessLog(gateway).compactMap { $0["functionError"] as? String }
                        == ["ValueError", "Function.MalformedResponse"])
                // The worker that raised is still there for the next request.
                #expect(try exchange(port: gateway.port, get("/v2/echo")).status == 200)
            }
        }

        @Test func aTimedOutInvocationIs504AndTheNextRequestIsServed() async throws {
            try await withFunctions(timeout: "500ms") { gateway, _ in
                let started = ContinuousClock.now
                let response = try exchange(port: gateway.port, get("/v2/sleep?s=5"))
                try expectProblem(response, status: 504, code: "INTEGRATION_TIMEOUT")
                #expect(ContinuousClock.now - started < .seconds(3))
                #expect(try exchange(port: gateway.port, get("/v2/echo")).status == 200)
            }
        }

        @Test func aReloadKeepsUnchangedFunctionsWarmAndRestartsChangedOnes() async throws {
            try await withFunctions { gateway, _ in
                func pid(_ path: String) throws -> (Int, String?) {
                    let body = try json(try exchange(port: gateway.port, get(path)))
                    return (try #require(body["pid"] as? Int), body["greeting"] as? String)
                }
                let (fn2Before, _) = try pid("/v2/pid")
                let (fn1Before, greeting) = try pid("/v1/pid")
                #expect(greeting == "hi")
                let config = try String(contentsOfFile: gateway.configPath, encoding: .utf8)
                // fn1 (payload 1.0) gets a new idleTimeout; fn2 stays as it was.
                let changed = config.replacingOccurrences(of: #""payloadFormat": "1.0", "provisioned": 1"#,
                                                          with: #""payloadFormat": "1.0", "provisioned": 1, "idleTimeout": "10m""#)
                #expect(changed != config)
                try gateway.writeConfig(changed)
                let reloaded = try await adminReload(gateway)
                #expect(reloaded.status == 200, "\(reloaded.bodyText)")
                #expect(try pid("/v2/pid").0 == fn2Before)  // unchanged: the same warm worker
                #expect(try await eventually { try pid("/v1/pid").0 != fn1Before })  // changed: a fresh one
            }
        }

        @Test func aFunctionThatCannotStartLeavesTheOtherRoutesServing() async throws {
            let config = TestGateway.config(#"""
                "functions": [ { "name": "broken", "command": ["/nonexistent/runtime"], "provisioned": 1 } ],
                "apis": [ { "name": "fn", "routes": [
                  { "route": "GET /broken", "integration": { "type": "function", "function": "broken" } },
                  { "route": "GET /ping", "integration": { "type": "mock", "body": "pong" } } ] } ]
                """#)
            let started = ContinuousClock.now
            try await withGateway(config) { gateway in
                #expect(ContinuousClock.now - started < .seconds(5))
                #expect(try exchange(port: gateway.port, get("/ping")).bodyText == "pong")
                let broken = try exchange(port: gateway.port, get("/broken"))
                _ = try expectProblem(broken, status: 502, code: "INTEGRATION_FAILURE")
            }
        }

        @Test func metricsCountInvocationsErrorsThrottlesAndColdStarts() async throws {
            try await withFunctions { gateway, _ in
                for path in ["/v2/echo", "/v2/echo", "/v2/raise"] { _ = try exchange(port: gateway.port, get(path)) }
                let text = try exchange(port: gateway.adminPort, get("/metrics")).bodyText
                func value(_ metric: String) -> Double? {
                    text.split(separator: "\n").first { $0.hasPrefix(metric + " ") }
                        .flatMap { Double($0.split(separator: " ").last!) }
                }
                #expect(value(#"portcullis_function_invocations_total{function="fn2"}"#) == 3)
                #expect(value(#"portcullis_function_errors_total{function="fn2"}"#) == 1)
                #expect(value(#"portcullis_function_cold_starts_total{function="fn2"}"#) == 1)
                #expect(value(#"portcullis_function_duration_seconds_count{function="fn2"}"#) == 3)
                #expect(value(#"portcullis_function_concurrent_executions{function="fn2"}"#) == 0)
                #expect(value(#"portcullis_function_init_duration_seconds_count{function="fn1"}"#) == 1)
            }
        }

        @Test func pastMaxConcurrencyARequestWaitsASecondThenGets429() async throws {
            try await withFunctions(maxConcurrency: 1) { gateway, _ in
                let port = gateway.port
                async let slow = onThread { try exchange(port: port, get("/v2/sleep?s=2")) }
                try await Task.sleep(for: .milliseconds(300))
                let started = ContinuousClock.now
                let throttled = try await onThread { try exchange(port: port, get("/v2/echo")) }
                let waited = ContinuousClock.now - started
                try expectProblem(throttled, status: 429, code: "THROTTLED")
                #expect(throttled.header("retry-after") == "1")
                #expect(waited >= .milliseconds(900) && waited < .seconds(2))
                #expect(try await slow.status == 200)
            }
        }
    }
}

/// The Python that has AWS's runtime client (`awslambdaric`) and Powertools, as `.ci/run` installs them; nil when
/// there is none (then those tests are skipped, with this as the reason).
enum AWSPythonRuntime {
    static let executable: String? = {
        guard let probe = try? ExternalTool.run("/usr/bin/env", ["python3", "-c",
                                                "import sys, awslambdaric, aws_lambda_powertools; print(sys.executable)"]),
              probe.status == 0 else { return nil }
        return probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    static let examples = GatewayServerTests.Binary.packageRoot.appendingPathComponent("examples/functions")
}

extension GatewayServerTests {
    /// The real AWS Python runtime client and Powertools' API Gateway resolvers behind the gateway: proof that the
    /// events and the Runtime API are what real Lambda code expects.
    @Suite(.serialized, .enabled(if: AWSPythonRuntime.executable != nil,
                                 "needs python3 with awslambdaric and aws-lambda-powertools (.ci/run installs them)"))
    struct AWSRuntimeClient {
        func config(_ python: String) -> String {
            func function(_ name: String, _ folder: String, _ handler: String, _ format: String) -> String {
                #"""
                { "name": "\#(name)", "command": ["\#(python)", "-m", "awslambdaric", "\#(handler)"],
                  "workingDirectory": "\#(AWSPythonRuntime.examples.appendingPathComponent(folder).path)",
                  "payloadFormat": "\#(format)", "provisioned": 1, "timeout": "10s",
                  "environment": { "GREETING": "hi" } }
                """#
            }
            return TestGateway.config(#"""
                "functions": [ \#(function("plain2", "hello", "app.handler", "2.0")),
                               \#(function("plain1", "hello", "app.handler", "1.0")),
                               \#(function("http", "powertools", "app.http_handler", "2.0")),
                               \#(function("rest", "powertools", "app.rest_handler", "1.0")) ],
                "apis": [ { "name": "aws", "routes": [
                  { "route": "GET /plain2/hello/{name}", "integration": { "type": "function", "function": "plain2" } },
                  { "route": "GET /plain1/hello/{name}", "integration": { "type": "function", "function": "plain1" } },
                  { "route": "ANY /http/{proxy+}", "integration": { "type": "function", "function": "http" } },
                  { "route": "ANY /rest/{proxy+}", "integration": { "type": "function", "function": "rest" } } ] } ]
                """#)
        }

        func json(_ response: RawResponse) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        }

        @Test func aPlainHandlerAnswersInBothFormats() async throws {
            let python = try #require(AWSPythonRuntime.executable)
            try await withGateway(config(python)) { gateway in
                for (path, format) in [("/plain2/hello/ana", "2.0"), ("/plain1/hello/ana", "1.0")] {
                    let response = try exchange(port: gateway.port, get(path))
                    #expect(response.status == 200)
                    let body = try json(response)
                    #expect(body["message"] as? String == "hi, ana" && body["format"] as? String == format)
                    #expect(body["function"] as? String == (format == "2.0" ? "plain2" : "plain1"))
                    #expect((body["requestId"] as? String)?.isEmpty == false)
                }
            }
        }

        @Test func powertoolsResolversReadTheEventsOfTheirFormat() async throws {
            let python = try #require(AWSPythonRuntime.executable)
            try await withGateway(config(python)) { gateway in
                let http = try exchange(port: gateway.port, get("/http/hello/bob?a=1&a=2", headers: ["Cookie: c1=v1; c2=v2"]))
                #expect(http.status == 200)
                let httpBody = try json(http)
                #expect(httpBody["hello"] as? String == "bob" && httpBody["query"] as? [String: String] == ["a": "1,2"])
                #expect(httpBody["cookies"] as? [String] == ["c1=v1", "c2=v2"])
                let rest = try exchange(port: gateway.port, get("/rest/hello/bob?a=1&a=2"))
                #expect(try rest.status == 200 && json(rest)["query"] as? [String: String] == ["a": "2"])
                let body = #"{"sku": 7}"#
                for prefix in ["/http", "/rest"] {
                    let created = try exchange(port: gateway.port,
                        "POST \(prefix)/items HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
                    #expect(try created.status == 201 && (json(created)["created"] as? [String: Int]) == ["sku": 7], "\(prefix)")
                }
                // A route the app does not have: Powertools' own 404, passed through.
                #expect(try exchange(port: gateway.port, get("/http/nothing")).status == 404)
            }
        }
    }
}
