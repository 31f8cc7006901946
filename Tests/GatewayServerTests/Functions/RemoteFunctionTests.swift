import Foundation
import GatewayCore
import Testing

extension GatewayServerTests {
    /// Remote functions over the Lambda Invoke API, against an in-test server answering as AWS, the runtime interface
    /// emulator and `sam local` do.
    @Suite(.serialized) struct RemoteFunctions {
        func withRemote(aws: Bool = false, timeout: String = "1s",
                        _ body: (TestGateway, InvokeAPIServer) async throws -> Void) async throws {
            let server = try await InvokeAPIServer.start()
            let signing = aws ? #", "aws": { "region": "us-east-1", "accessKeyId": "AKIDEXAMPLE", "secretAccessKey": "${SECRET}" }"# : ""
            let config = TestGateway.config(#"""
                "functions": [ { "name": "remote", "payloadFormat": "2.0", "timeout": "\#(timeout)",
                                 "invoke": "http://127.0.0.1:\#(server.port)/2015-03-31/functions/my-function%3Aprod/invocations?Qualifier=%24LATEST"\#(signing) } ],
                "apis": [ { "name": "fn", "routes": [
                  { "route": "ANY /{p+}", "integration": { "type": "function", "function": "remote" } } ] } ]
                """#)
            do {
                let gateway = try await TestGateway.start(config, environment: ["SECRET": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"])
                do {
                    try await body(gateway, server)
                } catch {
                    await gateway.stop()
                    throw error
                }
                await gateway.stop()
            } catch {
                await server.stop()
                throw error
            }
            await server.stop()
        }

        @Test func theEventIsPostedAndTheResultAnswered() async throws {
            try await withRemote { gateway, server in
                let response = try exchange(port: gateway.port, get("/a/ok?x=1"))
                #expect(response.status == 200 && response.header("content-type") == "application/json")
                let event = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
                #expect(event["rawPath"] as? String == "/a/ok" && event["version"] as? String == "2.0")
                let call = try #require(server.received.first)
                #expect(call.uri == "/2015-03-31/functions/my-function%3Aprod/invocations?Qualifier=%24LATEST")
                #expect(call.header("x-amz-invocation-type") == "RequestResponse" && call.header("authorization") == nil)
                #expect(call.header("content-type") == "application/json")
                // Keep-alive: a second call reuses the connection and still works.
                #expect(try exchange(port: gateway.port, get("/b/ok")).status == 200)
                #expect(try exchange(port: gateway.port, get("/c/chunked")).status == 201)
            }
        }

        @Test func awsCallsAreSignedWithSigV4() async throws {
            try await withRemote(aws: true) { gateway, server in
                #expect(try exchange(port: gateway.port, get("/ok")).status == 200)
                let call = try #require(server.received.first)
                let authorization = try #require(call.header("authorization"))
                let amzDate = try #require(call.header("x-amz-date"))
                #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\(amzDate.prefix(8))/us-east-1/lambda/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-invocation-type, Signature="))
                // The signature covers what was sent: recomputed from the received request it matches.
                let epoch = try #require(Self.epochSeconds(amzDate))
                let signedHeaders = ["host", "content-type", "x-amz-invocation-type"].map { ($0, call.header($0)!) }
                let recomputed = SigV4.sign(method: "POST", path: "/2015-03-31/functions/my-function%3Aprod/invocations",
                                            query: [("Qualifier", "$LATEST")], headers: signedHeaders, body: call.body,
                                            credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE",
                                                                        secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                                            region: "us-east-1", service: "lambda", epochSeconds: epoch)
                #expect(recomputed.first { $0.name == "Authorization" }?.value == authorization)
            }
        }

        @Test func functionErrorsOfEveryDialectAre502() async throws {
            try await withRemote { gateway, _ in
                for path in ["/error", "/rie-error", "/missing"] {
                    let response = try exchange(port: gateway.port, get(path))
                    _ = try expectProblem(response, status: 502, code: "INTEGRATION_FAILURE")
                    #expect(!response.bodyText.contains("secret") && !response.bodyText.contains("boom"))
                }
            }
        }

        @Test func timeoutsAre504() async throws {
            try await withRemote(timeout: "500ms") { gateway, _ in
                _ = try expectProblem(try exchange(port: gateway.port, get("/rie-timeout")), status: 504, code: "INTEGRATION_TIMEOUT")
                let started = ContinuousClock.now
                _ = try expectProblem(try exchange(port: gateway.port, get("/slow")), status: 504, code: "INTEGRATION_TIMEOUT")
                #expect(ContinuousClock.now - started < .seconds(2))
                #expect(try exchange(port: gateway.port, get("/ok")).status == 200)
            }
        }

        @Test func aThrottleIs429AndAnOversizedReplyIs502() async throws {
            try await withRemote(timeout: "10s") { gateway, _ in
                let throttled = try exchange(port: gateway.port, get("/throttle"))
                _ = try expectProblem(throttled, status: 429, code: "THROTTLED")
                _ = try expectProblem(try exchange(port: gateway.port, get("/big")), status: 502, code: "INTEGRATION_FAILURE")
                #expect(try exchange(port: gateway.port, get("/ok")).status == 200)
            }
        }

        @Test func anHTTPSInvokeAPIIsVerifiedAndKeptAlive() async throws {
            let directory = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let certificate = try ExternalTool.makeCertificate(names: ["localhost"], directory: directory, file: "lambda")
            let server = try await InvokeAPIServer.start(tls: certificate)
            func config(_ ca: String) -> String {
                TestGateway.config(#"""
                    "functions": [ { "name": "remote", "invoke": "https://localhost:\#(server.port)/2015-03-31/functions/f/invocations"\#(ca),
                                     "aws": { "region": "us-east-1", "accessKeyId": "AKID", "secretAccessKey": "secret" } } ],
                    "apis": [ { "name": "fn", "routes": [ { "route": "ANY /{p+}", "integration": { "type": "function", "function": "remote" } } ] } ]
                    """#)
            }
            do {
                try await withGateway(config(#", "caFile": "\#(certificate.cert)""#), eventLoops: 1) { gateway in
                    for _ in 0..<2 {
                        let response = try exchange(port: gateway.port, get("/ok"))
                        #expect(response.status == 200)
                    }
                    #expect(server.received.count == 2 && server.received.allSatisfy { $0.header("authorization") != nil })
                }
                // Without the CA the certificate is not trusted: nothing is sent.
                try await withGateway(config("")) { gateway in
                    _ = try expectProblem(try exchange(port: gateway.port, get("/ok")), status: 502, code: "INTEGRATION_FAILURE")
                    #expect(server.received.count == 2)
                }
            } catch {
                await server.stop()
                throw error
            }
            await server.stop()
        }

        @Test func anUnreachableInvokeAPIIs502() async throws {
            let config = TestGateway.config(#"""
                "functions": [ { "name": "gone", "invoke": "http://127.0.0.1:9/2015-03-31/functions/f/invocations" } ],
                "apis": [ { "name": "fn", "routes": [ { "route": "GET /x", "integration": { "type": "function", "function": "gone" } } ] } ]
                """#)
            try await withGateway(config) { gateway in
                _ = try expectProblem(try exchange(port: gateway.port, get("/x")), status: 502, code: "INTEGRATION_FAILURE")
            }
        }

        static func epochSeconds(_ amzDate: String) -> Int64? {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
            return formatter.date(from: amzDate).map { Int64($0.timeIntervalSince1970) }
        }
    }
}
