import Foundation
import StoreTestSupport
import Testing

/// Queues in fleet mode (`state.store = "redis"`): the same end-to-end scenarios as the local queues, with the
/// messages in Redis Streams, then two gateway instances sharing one queue and its idempotency keys.
extension GatewayServerTests {
    @Suite(.serialized, .enabled(if: AWSPythonRuntime.executable != nil && RedisServer.available,
                                 "needs python3 with awslambdaric and redis-server (.ci/run installs both)"))
    struct QueuesInRedis {
        typealias Store = Queues.Store

        @Test func aQueueRouteAnswers202AndTheConsumerGetsSQSBatches() async throws {
            try await Store.withRedis { try await Queues().aQueueRouteAnswers202AndTheConsumerGetsSQSBatches(in: $0) }
        }

        @Test func partialFailuresRetryAloneThenGoToTheDeadLetterQueueAndARedriveBringsThemBack() async throws {
            try await Store.withRedis {
                try await Queues().partialFailuresRetryAloneThenGoToTheDeadLetterQueueAndARedriveBringsThemBack(in: $0)
            }
        }

        @Test func aWholeBatchErrorRetriesEveryMessageAfterTheVisibilityTimeout() async throws {
            try await Store.withRedis { try await Queues().aWholeBatchErrorRetriesEveryMessageAfterTheVisibilityTimeout(in: $0) }
        }

        @Test func aDelayedMessageWaitsItsDelay() async throws {
            try await Store.withRedis { try await Queues().aDelayedMessageWaitsItsDelay(in: $0) }
        }

        @Test func badBodiesAreRefusedAndNothingIsStored() async throws {
            try await Store.withRedis { try await Queues().badBodiesAreRefusedAndNothingIsStored(in: $0) }
        }

        @Test func theAdminAPIAndMetricsShowQueuesAndRefuseWhatTheyDoNotServe() async throws {
            try await Store.withRedis { try await Queues().theAdminAPIAndMetricsShowQueuesAndRefuseWhatTheyDoNotServe(in: $0) }
        }

        @Test func anEventRouteAnswers202AndTheFunctionRunsWithRetriesThenOnFailure() async throws {
            try await Store.withRedis {
                try await AsyncInvocation().anEventRouteAnswers202AndTheFunctionRunsWithRetriesThenOnFailure(in: $0)
            }
        }

        /// Redis stopped mid-run: sends answer 503 with Retry-After (nothing is acknowledged that was not stored) and
        /// the consumer backs off; once Redis is back, sends and consumption resume without a restart.
        @Test func whileRedisIsDownSendsAnswer503AndBothResumeWhenItIsBack() async throws {
            try await Store.withRedis { store in
                guard case .redis(let server, _) = store else { return }
                try await Queues().withQueues(#"""
                    [ { "name": "orders", "consumer": { "function": "consume" } } ]
                    """#, store: store) { setup in
                    #expect(try setup.send(#"{"order": 1}"#).status == 202)
                    #expect(await eventually(timeout: .seconds(10)) { (try? setup.records().count) == 1 })
                    server.stop()
                    let refused = try setup.send(#"{"order": 2}"#)
                    #expect(refused.status == 503 && refused.header("retry-after") != nil)
                    #expect(refused.header("content-type") == "application/problem+json")
                    #expect(refused.bodyText.contains("the queue store failed"), "\(refused.bodyText)")
                    #expect(!refused.bodyText.lowercased().contains("redis"), "the store's own error stays in the log")
                    try await Task.sleep(for: .seconds(1))  // the consumer's receives fail meanwhile, backing off
                    let restarted = try await RedisServer.start(port: server.port)
                    defer { restarted.stop() }
                    #expect(await eventually(timeout: .seconds(10)) { (try? setup.send(#"{"order": 3}"#).status) == 202 })
                    #expect(await eventually(timeout: .seconds(15)) {
                        (try? setup.records().contains { ($0["body"] as? [String: Any])?["order"] as? Int == 3 }) == true
                    }, "the consumer came back on its own")
                }
            }
        }

        /// Records each message with the instance whose consumer got it, one batch at a time, slowly enough that
        /// the queue backs up and both instances' consumers pull from it.
        static let consumer = """
        import json, os, time

        def handler(event, context):
            with open(os.environ["OUT"], "a") as out:
                for record in event["Records"]:
                    out.write(json.dumps({"id": record["messageId"], "instance": os.environ["INSTANCE"],
                                          "receiveCount": record["attributes"]["ApproximateReceiveCount"]}) + "\\n")
            time.sleep(0.1)
            return {"batchItemFailures": []}
        """

        static func config(_ store: Store, folder: String, python: String, instance: String) -> String {
            TestGateway.config(#"""
                \#(store.stateSection)
                "functions": [ { "name": "consume", "command": ["\#(python)", "-m", "awslambdaric", "consumer.handler"],
                                 "workingDirectory": "\#(folder)", "provisioned": 1, "maxConcurrency": 1, "timeout": "10s",
                                 "environment": { "OUT": "\#(folder)/records.jsonl", "INSTANCE": "\#(instance)" } } ],
                "queues": [ { "name": "orders", "consumer": { "function": "consume", "batchSize": 2, "maxConcurrency": 1 } } ],
                "apis": [ { "name": "shop", "routes": [
                  { "route": "POST /orders", "integration": { "type": "queue", "queue": "orders" },
                    "idempotencyKey": "header.idempotency-key" } ] } ]
                """#)
        }

        static func post(_ gateway: TestGateway, _ body: String, key: String? = nil) throws -> String? {
            let header = key.map { "Idempotency-Key: \($0)\r\n" } ?? ""
            let response = try exchange(port: gateway.port, "POST /orders HTTP/1.1\r\nHost: q\r\n\(header)"
                                            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
            guard response.status == 202 else { return nil }
            return (try JSONSerialization.jsonObject(with: Data(response.bodyText.utf8)) as? [String: Any])?["messageId"] as? String
        }

        /// Two instances, one queue: every message sent to either is processed once, and both instances' consumers
        /// take part; an idempotency key answered by one is answered the same by the other.
        @Test func twoInstancesShareOneQueueAndItsIdempotencyKeys() async throws {
            let python = try #require(AWSPythonRuntime.executable)
            try await Store.withRedis { store in
                let folder = try TestGateway.makeTemporaryDirectory()
                defer { try? FileManager.default.removeItem(atPath: folder) }
                try Self.consumer.write(toFile: folder + "/consumer.py", atomically: true, encoding: .utf8)
                try await withGateway(Self.config(store, folder: folder, python: python, instance: "a")) { a in
                    try await withGateway(Self.config(store, folder: folder, python: python, instance: "b")) { b in
                        var sent: [String] = []
                        for n in 0..<24 { sent.append(try #require(try Self.post(n % 2 == 0 ? a : b, #"{"order": \#(n)}"#))) }
                        func records() -> [[String: Any]] {
                            ((try? String(contentsOfFile: folder + "/records.jsonl", encoding: .utf8)) ?? "")
                                .split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                        }
                        #expect(await eventually(timeout: .seconds(30)) { records().count >= 24 })
                        try await Task.sleep(for: .milliseconds(300))
                        let seen = records()
                        #expect(seen.count == 24, "no message processed twice")
                        #expect(Set(seen.compactMap { $0["id"] as? String }) == Set(sent))
                        #expect(seen.allSatisfy { $0["receiveCount"] as? String == "1" })
                        let instances = Set(seen.compactMap { $0["instance"] as? String })
                        #expect(instances == ["a", "b"], "both instances consumed: \(instances)")

                        let first = try #require(try Self.post(a, "once", key: "order-77"))
                        #expect(try Self.post(b, "once again", key: "order-77") == first, "the other instance knows the key")
                        #expect(await eventually(timeout: .seconds(10)) { records().count == 25 })
                    }
                }
            }
        }
    }
}
