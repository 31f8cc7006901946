import GatewayCore
import Testing
@testable import GatewayConfig

@Suite struct FunctionDecoderTests {
    func functions(_ items: String, env: [String: String] = [:]) -> ConfigLoadResult {
        TestConfig.compile(TestConfig.top(#""functions": [\#(items)]"#), env: env)
    }

    func lines(_ items: String) -> [String] {
        functions(items).diagnostics.map(\.description)
    }

    @Test func aHostedFunctionWithEverySetting() throws {
        let result = functions(#"""
            { "name": "hello", "command": ["python3", "-m", "awslambdaric", "app.handler"],
              "workingDirectory": "examples/functions/hello", "environment": { "GREETING": "${WHO}", "EMPTY": "" },
              "payloadFormat": "1.0", "provisioned": 1, "maxConcurrency": 10, "idleTimeout": "5m",
              "timeout": "10s", "memory": 256 }
            """#, env: ["WHO": "hi"])
        #expect(result.diagnostics == [])
        let function = try #require(result.snapshot?.functions.first)
        #expect(function.name == "hello" && function.payloadFormat == .v1 && function.timeout == .seconds(10))
        guard case .hosted(let settings) = function.backend else { return }
        #expect(settings.command == ["python3", "-m", "awslambdaric", "app.handler"])
        #expect(settings.workingDirectory == "/etc/portcullis/examples/functions/hello")
        #expect(settings.environment.map { "\($0.name)=\($0.value)" } == ["GREETING=hi", "EMPTY="])
        #expect(settings.provisioned == 1 && settings.maxConcurrency == 10 && settings.idleTimeout == .seconds(300))
        #expect(settings.memoryMB == 256)
    }

    @Test func aRemoteFunctionSignedForAWS() throws {
        let result = functions(#"""
            { "name": "orders", "payloadFormat": "1.0", "timeout": "5s",
              "invoke": "https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/orders%3Aprod/invocations?Qualifier=7",
              "aws": { "region": "eu-west-1", "accessKeyId": "${KEY}", "secretAccessKey": "${SECRET}" } }
            """#, env: ["KEY": "AKID", "SECRET": "s3cret"])
        #expect(result.diagnostics == [])
        let function = try #require(result.snapshot?.functions.first)
        guard case .remote(let remote) = function.backend else {
            Issue.record("not remote")
            return
        }
        #expect(remote.target == UpstreamTarget(host: "lambda.eu-west-1.amazonaws.com", port: 443,
                                                basePath: "/2015-03-31/functions/orders%3Aprod/invocations", tls: UpstreamTLS()))
        #expect(remote.requestTarget == "/2015-03-31/functions/orders%3Aprod/invocations?Qualifier=7")
        #expect(remote.credentials == AWSCredentials(accessKeyId: "AKID", secretAccessKey: "s3cret") && remote.region == "eu-west-1")
    }

    @Test func defaults() throws {
        let function = try #require(functions(#"{"name": "f", "command": ["./bootstrap"]}"#).snapshot?.functions.first)
        #expect(function.payloadFormat == .v2 && function.timeout == .seconds(29))
        guard case .hosted(let settings) = function.backend else { return }
        #expect(settings.provisioned == 0 && settings.maxConcurrency == 10 && settings.memoryMB == nil)
        #expect(settings.workingDirectory == nil && settings.environment.isEmpty)
    }

    @Test func errorsNameTheirValue() {
        #expect(lines(#"{"name": "f"}"#)
            == [#"/functions/0: missing required key "command" (a hosted function) or "invoke" (a remote one)"#])
        #expect(lines(#"{"name": "f", "command": ["a"], "invoke": "http://127.0.0.1:9000"}"#)
            == [#"/functions/0: use either "command" or "invoke", not both"#])
        #expect(lines(#"{"name": "f", "invoke": "http://127.0.0.1:9000"}"#)
            == [#"/functions/0/invoke: must be the invocation URL, such as "http://127.0.0.1:9000/2015-03-31/functions/function/invocations" (got "http://127.0.0.1:9000")"#])
        #expect(lines(#"{"name": "f", "invoke": "http://127.0.0.1:9000/x?"}"#)
            == [#"/functions/0/invoke: invalid query in "http://127.0.0.1:9000/x?""#])
        #expect(lines(#"{"name": "f", "invoke": "http://127.0.0.1:9000/x", "maxConcurrency": 3}"#)
            == [#"/functions/0/maxConcurrency: applies to hosted functions ("command") only"#])
        #expect(lines(#"{"name": "f", "command": ["a"], "aws": {}}"#)
            == [#"/functions/0/aws: applies to remote functions ("invoke") only"#])
        #expect(lines(#"{"name": "f", "invoke": "http://127.0.0.1:9000/x", "aws": {"region": "eu-west-1"}}"#)
            == [#"/functions/0/aws: missing required key "accessKeyId""#, #"/functions/0/aws: missing required key "secretAccessKey""#])
        #expect(lines(#"{"name": "f", "command": []}"#) == ["/functions/0/command: must name a program to run"])
        #expect(lines(#"{"name": "f", "command": [""]}"#) == ["/functions/0/command/0: must not be empty"])
        #expect(lines(#"{"name": "f", "command": ["a"], "payloadFormat": "3.0"}"#)
            == [#"/functions/0/payloadFormat: must be "1.0" or "2.0" (got "3.0")"#])
        #expect(lines(#"{"name": "f", "command": ["a"], "provisioned": 3, "maxConcurrency": 2}"#)
            == ["/functions/0/provisioned: must not exceed maxConcurrency (2)"])
        #expect(lines(#"{"name": "f", "command": ["a"], "memory": 32}"#)
            == ["/functions/0/memory: must be between 64 and 10240 (got 32)"])
        #expect(lines(#"{"name": "f", "command": ["a"], "timeout": 0}"#)
            == ["/functions/0/timeout: must be greater than 0 and at most 15m (got 0)"])
        #expect(lines(#"{"name": "f g", "command": ["a"]}"#)
            == [#"/functions/0/name: must be 1 to 64 letters, digits, '-' or '_' (got "f g")"#])
        for name in ["f.g", "f!", "f:prod", "f@", String(repeating: "a", count: 65)] {
            #expect(lines(#"{"name": "\#(name)", "command": ["a"]}"#).first?.hasPrefix("/functions/0/name: must be 1 to 64") == true, "\(name)")
        }
        #expect(lines(#"{"name": "Create-Order_2", "command": ["a"]}"#) == [])
        #expect(lines(#"{"name": "f", "command": ["a"], "environment": {"A=B": "x"}}"#)
            == ["/functions/0/environment/A=B: is not a valid environment variable name"])
        #expect(lines(#"{"name": "f", "command": ["a"]}, {"name": "f", "command": ["b"]}"#)
            == [#"/functions/1/name: duplicate function name "f" (also at /functions/0)"#])
        #expect(lines(#"{"name": "f", "command": ["a"], "colour": 1}"#) == [#"/functions/0/colour: unknown key "colour""#])
        #expect(functions(#"{"name": "f"}"#).snapshot == nil)
    }

    @Test func asyncSettingsHaveLambdasDefaultsAndBounds() throws {
        let defaults = try #require(functions(#"{"name": "f", "command": ["a"]}"#).snapshot?.functions.first?.async)
        #expect(defaults == AsyncInvocationSettings(maximumRetryAttempts: 2, maximumEventAge: 6 * 3600 * 1_000_000_000))
        let result = TestConfig.compile(TestConfig.top(#"""
            "functions": [{"name": "f", "command": ["a"],
                           "async": {"maximumRetryAttempts": 0, "maximumEventAge": "90s", "onFailure": "failed"}}],
            "queues": [{"name": "failed"}]
            """#))
        #expect(result.diagnostics == [])
        #expect(result.snapshot?.functions.first?.async
                == AsyncInvocationSettings(maximumRetryAttempts: 0, maximumEventAge: 90 * 1_000_000_000, onFailure: "failed"))
        #expect(lines(#"{"name": "f", "command": ["a"], "async": {"maximumRetryAttempts": 3}}"#).first?
            .hasPrefix("/functions/0/async/maximumRetryAttempts:") == true)
        #expect(lines(#"{"name": "f", "command": ["a"], "async": {"maximumEventAge": "30s"}}"#).first?
            .hasPrefix("/functions/0/async/maximumEventAge:") == true)
        #expect(lines(#"{"name": "f", "command": ["a"], "async": {"maximumEventAge": "7h"}}"#).first?
            .hasPrefix("/functions/0/async/maximumEventAge:") == true)
        #expect(lines(#"{"name": "f", "command": ["a"], "async": {"retries": 1}}"#)
            == [#"/functions/0/async/retries: unknown key "retries""#])
        #expect(TestConfig.lines(TestConfig.top(#"""
            "functions": [{"name": "f", "command": ["a"], "async": {"onFailure": "faild"}}], "queues": [{"name": "failed"}]
            """#)) == [#"/functions/0/async/onFailure: no queue named "faild"; did you mean "failed"?"#])
        #expect(lines(#"{"name": "f", "command": ["a"], "async": {"onFailure": "failed"}}"#)
            == [#"/functions/0/async/onFailure: no queue named "failed"; "queues" defines none"#])
    }
}
