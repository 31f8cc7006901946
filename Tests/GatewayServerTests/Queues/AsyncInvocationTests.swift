import Foundation
import Testing

/// `"invocationType": "Event"` end to end with AWS's runtime client: 202 at once, the function invoked in the
/// background with the usual API Gateway event, a failure retried after a back-off, and an event that keeps failing
/// left on the `onFailure` queue as Lambda's destination record.
extension GatewayServerTests {
    @Suite(.serialized, .enabled(if: AWSPythonRuntime.executable != nil,
                                 "needs python3 with awslambdaric (.ci/run installs it)"))
    struct AsyncInvocation {
        static let handler = """
        import json, os, time

        def handler(event, context):
            with open(os.environ["OUT"], "a") as out:
                out.write(json.dumps({"path": event.get("rawPath"), "body": event.get("body"), "at": time.time()}) + "\\n")
            if "fail" in (event.get("body") or ""):
                raise RuntimeError("cannot do this job")
            return {"statusCode": 200, "body": "ignored by an asynchronous caller"}
        """

        @Test func anEventRouteAnswers202AndTheFunctionRunsWithRetriesThenOnFailure() async throws {
            try await anEventRouteAnswers202AndTheFunctionRunsWithRetriesThenOnFailure(in: .memory)
        }

        func anEventRouteAnswers202AndTheFunctionRunsWithRetriesThenOnFailure(in store: Queues.Store) async throws {
            let python = try #require(AWSPythonRuntime.executable)
            let folder = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try Self.handler.write(toFile: folder + "/work.py", atomically: true, encoding: .utf8)
            let output = folder + "/calls.jsonl"
            let config = TestGateway.config(#"""
                \#(store.stateSection)
                "functions": [ { "name": "work", "command": ["\#(python)", "-m", "awslambdaric", "work.handler"],
                                 "workingDirectory": "\#(folder)", "provisioned": 1, "timeout": "10s",
                                 "environment": { "OUT": "\#(output)" },
                                 "async": { "maximumRetryAttempts": 1, "onFailure": "failed" } } ],
                "queues": [ { "name": "failed" } ],
                "apis": [ { "name": "jobs", "routes": [
                  { "route": "POST /jobs", "integration": { "type": "function", "function": "work", "invocationType": "Event" } } ] } ]
                """#)
            func calls() -> [[String: Any]] {
                ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }
            }
            try await withGateway(config) { gateway in
                func post(_ body: String) throws -> RawResponse {
                    try exchange(port: gateway.port, "POST /jobs HTTP/1.1\r\nHost: j\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
                }
                let accepted = try post(#"{"job": 1}"#)
                #expect(accepted.status == 202)
                let id = try #require((try JSONSerialization.jsonObject(with: Data(accepted.bodyText.utf8)) as? [String: Any])?["messageId"] as? String)
                #expect(await eventually(timeout: .seconds(15)) { calls().count == 1 })
                #expect(calls().first?["path"] as? String == "/jobs", "the API Gateway event, as a synchronous call gets it")
                #expect(calls().first?["body"] as? String == #"{"job": 1}"#)

                #expect(try post(#"{"job": 2, "fail": true}"#).status == 202)
                let admin = { (path: String) throws -> [String: Any] in
                    let response = try exchange(port: gateway.adminPort, "GET \(path) HTTP/1.1\r\nHost: admin\r\n\r\n")
                    return try JSONSerialization.jsonObject(with: Data(response.bodyText.utf8)) as? [String: Any] ?? [:]
                }
                #expect(await eventually(timeout: .seconds(15)) {
                    let messages = (try? admin("/queues/failed/messages"))?["messages"] as? [[String: Any]]
                    return messages?.count == 1
                })
                let failing = calls().filter { ($0["body"] as? String)?.contains("fail") == true }
                #expect(failing.count == 2, "the first attempt and one retry")
                if failing.count == 2, let first = failing[0]["at"] as? Double, let second = failing[1]["at"] as? Double {
                    #expect(second - first >= 0.9, "the retry waits its back-off (1 s): \(second - first)")
                }
                let stored = try #require((try admin("/queues/failed/messages")["messages"] as? [[String: Any]])?.first)
                let record = try #require(try JSONSerialization.jsonObject(with: Data((stored["body"] as? String ?? "").utf8)) as? [String: Any])
                let context = try #require(record["requestContext"] as? [String: Any])
                #expect(context["condition"] as? String == "RetriesExhausted")
                #expect(context["approximateInvokeCount"] as? Int == 2)
                #expect((context["functionArn"] as? String)?.hasSuffix(":function:work:$LATEST") == true)
                #expect((record["requestPayload"] as? [String: Any])?["body"] as? String == #"{"job": 2, "fail": true}"#)
                let response = try #require(record["responsePayload"] as? [String: Any])
                #expect(response["errorType"] as? String == "RuntimeError")
                #expect(response["errorMessage"] as? String == "cannot do this job")
                #expect(context["requestId"] as? String != id, "the failed event's own id")
                // The function's internal queue is listed with the others and is empty now.
                let queues = try #require(admin("/queues")["queues"] as? [[String: Any]])
                let eventQueue = try #require(queues.first { $0["name"] as? String == "@async:work" })
                #expect(eventQueue["visible"] as? Int == 0 && eventQueue["inFlight"] as? Int == 0 && eventQueue["deleted"] as? Int == 2)
            }
        }
    }
}
