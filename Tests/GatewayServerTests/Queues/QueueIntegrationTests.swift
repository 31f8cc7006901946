import Foundation
import StoreTestSupport
import Testing

/// Queues end to end: `queue` routes answer 202 once a message is stored, and AWS's own Python runtime client
/// (`awslambdaric`) consumes SQS batches with partial failures, whole-batch errors, the visibility timeout, the
/// dead-letter queue and a redrive, all through the real gateway and its admin API.
extension GatewayServerTests {
    @Suite(.serialized, .enabled(if: AWSPythonRuntime.executable != nil,
                                 "needs python3 with awslambdaric (.ci/run installs it)"))
    struct Queues {
        /// Writes one line per record it is given; `{"fail": true}` bodies are reported in `batchItemFailures`,
        /// `{"raise": true}` fails the whole batch.
        static let consumer = """
        import json, os

        def handler(event, context):
            failures = []
            raise_all = False
            with open(os.environ["OUT"], "a") as out:
                for record in event["Records"]:
                    body = json.loads(record["body"])
                    out.write(json.dumps({"id": record["messageId"], "body": body, "batch": len(event["Records"]),
                                          "receiveCount": record["attributes"]["ApproximateReceiveCount"],
                                          "eventSource": record["eventSource"], "md5": record["md5OfBody"],
                                          "receiptHandle": record["receiptHandle"]}) + "\\n")
                    if body.get("fail"):
                        failures.append({"itemIdentifier": record["messageId"]})
                    if body.get("raise"):
                        raise_all = True
            if raise_all:
                raise RuntimeError("the whole batch fails")
            return {"batchItemFailures": failures}
        """

        struct Setup {
            let gateway: TestGateway
            let output: URL

            /// Every record the consumer saw, in order.
            func records() throws -> [[String: Any]] {
                guard let text = try? String(contentsOf: output, encoding: .utf8) else { return [] }
                return try text.split(separator: "\n").map {
                    try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
                }
            }

            func send(_ body: String, path: String = "/orders") throws -> RawResponse {
                try exchange(port: gateway.port, "POST \(path) HTTP/1.1\r\nHost: q\r\nContent-Type: application/json\r\n"
                                 + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
            }

            func admin(_ method: String, _ path: String) throws -> (status: Int, json: [String: Any]) {
                let response = try exchange(port: gateway.adminPort, "\(method) \(path) HTTP/1.1\r\nHost: admin\r\n\r\n")
                let json = try JSONSerialization.jsonObject(with: Data(response.bodyText.utf8)) as? [String: Any]
                return (response.status, json ?? [:])
            }

            func queue(_ name: String) throws -> [String: Any] {
                let queues = try #require(admin("GET", "/queues").json["queues"] as? [[String: Any]])
                return try #require(queues.first { $0["name"] as? String == name })
            }
        }

        /// Where the queues live: this process (in memory), or a real redis-server, as a fleet's.
        enum Store {
            case memory
            case redis(RedisServer, prefix: String)

            var stateSection: String {
                switch self {
                case .memory: ""
                case .redis(let server, let prefix):
                    #""state": { "store": "redis", "url": "redis://127.0.0.1:\#(server.port)", "keyPrefix": "\#(prefix)" },"#
                }
            }

            /// A redis-server of its own for `body`, stopped after it.
            static func withRedis(_ body: (Store) async throws -> Void) async throws {
                let server = try await RedisServer.start()
                defer { server.stop() }
                try await body(.redis(server, prefix: "q\(UInt32.random(in: 0...UInt32.max)):"))
            }
        }

        func withQueues(_ queues: String, store: Store = .memory, _ body: (Setup) async throws -> Void) async throws {
            let python = try #require(AWSPythonRuntime.executable)
            let folder = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try Self.consumer.write(toFile: folder + "/consumer.py", atomically: true, encoding: .utf8)
            let output = URL(fileURLWithPath: folder + "/records.jsonl")
            let config = TestGateway.config(#"""
                \#(store.stateSection)
                "functions": [ { "name": "consume", "command": ["\#(python)", "-m", "awslambdaric", "consumer.handler"],
                                 "workingDirectory": "\#(folder)", "provisioned": 1, "maxConcurrency": 2, "timeout": "10s",
                                 "environment": { "OUT": "\#(output.path)" } } ],
                "queues": \#(queues),
                "apis": [ { "name": "shop", "routes": [
                  { "route": "POST /orders", "integration": { "type": "queue", "queue": "orders" } } ] } ]
                """#)
            try await withGateway(config) { gateway in try await body(Setup(gateway: gateway, output: output)) }
        }

        @Test func aQueueRouteAnswers202AndTheConsumerGetsSQSBatches() async throws { try await aQueueRouteAnswers202AndTheConsumerGetsSQSBatches(in: .memory) }

        func aQueueRouteAnswers202AndTheConsumerGetsSQSBatches(in store: Store) async throws {
            try await withQueues(#"""
                [ { "name": "orders", "consumer": { "function": "consume", "batchSize": 5, "batchWindow": "300ms" } } ]
                """#, store: store) { setup in
                var ids: [String] = []
                for n in 0..<12 {
                    let response = try setup.send(#"{"order": \#(n)}"#)
                    #expect(response.status == 202)
                    #expect(response.header("content-type") == "application/json")
                    let json = try #require(try JSONSerialization.jsonObject(with: Data(response.bodyText.utf8)) as? [String: Any])
                    ids.append(try #require(json["messageId"] as? String))
                }
                #expect(await eventually(timeout: .seconds(20)) { (try? setup.records().count) == 12 })
                let records = try setup.records()
                #expect(Set(records.compactMap { $0["id"] as? String }) == Set(ids))
                #expect(records.allSatisfy { ($0["batch"] as? Int ?? 0) <= 5 })
                #expect(records.contains { ($0["batch"] as? Int) == 5 }, "the window lets a batch fill up")
                #expect(records.allSatisfy { $0["eventSource"] as? String == "aws:sqs" && $0["receiveCount"] as? String == "1" })
                let first = try #require(records.first { ($0["body"] as? [String: Any])?["order"] as? Int == 0 })
                // md5 of the body exactly as sent, as SQS computes it.
                #expect(first["md5"] as? String == "549f43409a214c5a2b1d4ef2915927cc")  // hashlib.md5(b'{"order": 0}')
                #expect(await eventually(timeout: .seconds(5)) {
                    let orders = try? setup.queue("orders")
                    return orders?["deleted"] as? Int == 12 && orders?["visible"] as? Int == 0 && orders?["inFlight"] as? Int == 0
                })
                #expect(try setup.queue("orders")["sent"] as? Int == 12)
            }
        }

        @Test func partialFailuresRetryAloneThenGoToTheDeadLetterQueueAndARedriveBringsThemBack() async throws { try await partialFailuresRetryAloneThenGoToTheDeadLetterQueueAndARedriveBringsThemBack(in: .memory) }

        func partialFailuresRetryAloneThenGoToTheDeadLetterQueueAndARedriveBringsThemBack(in store: Store) async throws {
            try await withQueues(#"""
                [ { "name": "orders", "visibilityTimeout": "1s", "maxReceiveCount": 2, "deadLetterQueue": "orders-dlq",
                    "consumer": { "function": "consume", "batchSize": 10, "batchWindow": "200ms" } },
                  { "name": "orders-dlq" } ]
                """#, store: store) { setup in
                #expect(try setup.send(#"{"order": "good"}"#).status == 202)
                #expect(try setup.send(#"{"order": "bad", "fail": true}"#).status == 202)
                #expect(await eventually(timeout: .seconds(20)) {
                    (try? setup.queue("orders-dlq")["visible"] as? Int) == 1
                })
                let records = try setup.records()
                let good = records.filter { ($0["body"] as? [String: Any])?["order"] as? String == "good" }
                let bad = records.filter { ($0["body"] as? [String: Any])?["order"] as? String == "bad" }
                #expect(good.count == 1, "a message the batch did not list is deleted after its first receive")
                #expect(bad.map { $0["receiveCount"] as? String } == ["1", "2"], "received maxReceiveCount times")
                let peek = try setup.admin("GET", "/queues/orders-dlq/messages?limit=5")
                #expect(peek.status == 200)
                let message = try #require((peek.json["messages"] as? [[String: Any]])?.first)
                #expect(message["receiveCount"] as? Int == 2)
                #expect(message["lastError"] as? String == "listed in batchItemFailures")
                #expect(message["origin"] as? String == "orders")
                #expect(message["body"] as? String == #"{"order": "bad", "fail": true}"#)

                let redrive = try setup.admin("POST", "/queues/orders-dlq/redrive")
                #expect(redrive.status == 200 && redrive.json["redriven"] as? Int == 1)
                #expect(await eventually(timeout: .seconds(20)) {
                    (try? setup.records().filter { ($0["body"] as? [String: Any])?["order"] as? String == "bad" }.count) == 4
                        && (try? setup.queue("orders-dlq")["visible"] as? Int) == 1
                }, "redriven with a fresh receive count: two more receives, then the dead letters again")
                #expect(try setup.admin("POST", "/queues/orders/redrive").status == 400, "orders is no dead-letter queue")
                let purge = try setup.admin("DELETE", "/queues/orders-dlq/messages")
                #expect(purge.status == 200 && purge.json["purged"] as? Int == 1)
                #expect(try setup.queue("orders-dlq")["visible"] as? Int == 0)
            }
        }

        @Test func aWholeBatchErrorRetriesEveryMessageAfterTheVisibilityTimeout() async throws { try await aWholeBatchErrorRetriesEveryMessageAfterTheVisibilityTimeout(in: .memory) }

        func aWholeBatchErrorRetriesEveryMessageAfterTheVisibilityTimeout(in store: Store) async throws {
            try await withQueues(#"""
                [ { "name": "orders", "visibilityTimeout": "1s", "maxReceiveCount": 2, "deadLetterQueue": "dlq",
                    "consumer": { "function": "consume", "batchSize": 10, "batchWindow": "300ms" } },
                  { "name": "dlq" } ]
                """#, store: store) { setup in
                #expect(try setup.send(#"{"order": 1}"#).status == 202)
                #expect(try setup.send(#"{"order": 2, "raise": true}"#).status == 202)
                #expect(await eventually(timeout: .seconds(20)) { (try? setup.queue("dlq")["visible"] as? Int) == 2 })
                let records = try setup.records()
                #expect(records.count == 4, "both messages received twice: the error failed the whole batch")
                let peek = try setup.admin("GET", "/queues/dlq/messages")
                let errors = (peek.json["messages"] as? [[String: Any]] ?? []).compactMap { $0["lastError"] as? String }
                #expect(errors.count == 2 && errors.allSatisfy { $0.contains("the whole batch fails") }, "\(errors)")
            }
        }

        @Test func aDelayedMessageWaitsItsDelay() async throws { try await aDelayedMessageWaitsItsDelay(in: .memory) }

        func aDelayedMessageWaitsItsDelay(in store: Store) async throws {
            try await withQueues(#"""
                [ { "name": "orders", "delay": "1s", "consumer": { "function": "consume" } } ]
                """#, store: store) { (setup: Setup) async throws in
                let sent = ContinuousClock.now
                #expect(try setup.send(#"{"order": "later"}"#).status == 202)
                #expect(try setup.queue("orders")["delayed"] as? Int == 1)
                #expect(await eventually(timeout: .seconds(10)) { (try? setup.records().count) == 1 })
                #expect(ContinuousClock.now - sent >= .seconds(1))
            }
        }

        @Test func badBodiesAreRefusedAndNothingIsStored() async throws { try await badBodiesAreRefusedAndNothingIsStored(in: .memory) }

        func badBodiesAreRefusedAndNothingIsStored(in store: Store) async throws {
            try await withQueues(#"[ { "name": "orders" } ]"#, store: store) { setup in
                let empty = try exchange(port: setup.gateway.port, "POST /orders HTTP/1.1\r\nHost: q\r\nContent-Length: 0\r\n\r\n")
                #expect(empty.status == 400 && empty.bodyText.contains("must not be empty"))
                let client = try RawClient(port: setup.gateway.port)
                try client.send(Array("POST /orders HTTP/1.1\r\nHost: q\r\nContent-Length: 3\r\n\r\n".utf8) + [0x61, 0xFF, 0x62])
                let binary = try client.readResponse()
                #expect(binary.status == 400 && binary.bodyText.contains("UTF-8"))
                let big = String(repeating: "a", count: 256 * 1024 + 1)
                #expect(try setup.send(big).status == 413)
                let chunked = try exchange(port: setup.gateway.port, "POST /orders HTTP/1.1\r\nHost: q\r\nTransfer-Encoding: chunked\r\n\r\n"
                                           + "5\r\nhello\r\n0\r\n\r\n")
                #expect(chunked.status == 202, "a chunked body is a message too")
                #expect(try setup.queue("orders")["sent"] as? Int == 1)
                #expect(try setup.queue("orders")["visible"] as? Int == 1)
            }
        }

        @Test func theAdminAPIAndMetricsShowQueuesAndRefuseWhatTheyDoNotServe() async throws { try await theAdminAPIAndMetricsShowQueuesAndRefuseWhatTheyDoNotServe(in: .memory) }

        func theAdminAPIAndMetricsShowQueuesAndRefuseWhatTheyDoNotServe(in store: Store) async throws {
            try await withQueues(#"[ { "name": "orders" } ]"#, store: store) { setup in
                #expect(try setup.send(#"{"order": 1}"#).status == 202)
                let metrics = try exchange(port: setup.gateway.adminPort, get("/metrics")).bodyText
                for line in ["portcullis_queue_approximate_number_of_messages_visible{queue=\"orders\"} 1",
                             "portcullis_queue_approximate_number_of_messages_not_visible{queue=\"orders\"} 0",
                             "portcullis_queue_number_of_messages_sent_total{queue=\"orders\"} 1",
                             "portcullis_queue_number_of_messages_deleted_total{queue=\"orders\"} 0",
                             "# TYPE portcullis_queue_approximate_age_of_oldest_message_seconds gauge"] {
                    #expect(metrics.contains(line), "\(line)")
                }
                #expect(try setup.admin("GET", "/queues/nope/messages").status == 404)
                #expect(try setup.admin("GET", "/queues/orders/messages?limit=0").status == 400)
                #expect(try setup.admin("GET", "/queues/orders/messages?limit=many").status == 400)
                #expect(try setup.admin("GET", "/queues/orders/messages?limit=1001").status == 400)
                #expect(try setup.admin("GET", "/queues/orders/other").status == 404)
                let wrongMethod = try exchange(port: setup.gateway.adminPort, "POST /queues/orders/messages HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(wrongMethod.status == 405 && wrongMethod.header("allow") == "GET, DELETE")
                #expect(try setup.admin("DELETE", "/queues").status == 405)
                let peek = try setup.admin("GET", "/queues/orders/messages?limit=1")
                let messages = try #require(peek.json["messages"] as? [[String: Any]])
                #expect(messages.count == 1 && messages[0]["receiveCount"] as? Int == 0 && messages[0]["lastError"] is NSNull)
                #expect((messages[0]["sentAt"] as? String)?.hasSuffix("Z") == true)
            }
        }

        @Test func aRepeatedIdempotencyKeyGetsTheFirstMessageIdEvenAfterARestart() async throws {
            let folder = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let config = TestGateway.config(#"""
                "state": { "path": "\#(folder)" }, "queues": [ { "name": "orders" } ],
                "apis": [ { "name": "shop", "routes": [
                  { "route": "POST /orders", "integration": { "type": "queue", "queue": "orders" },
                    "idempotencyKey": "header.idempotency-key" } ] } ]
                """#)
            func post(_ port: Int, key: String?, body: String = "an order", extra: String = "") throws -> RawResponse {
                let header = key.map { "Idempotency-Key: \($0)\r\n" } ?? ""
                return try exchange(port: port, "POST /orders HTTP/1.1\r\nHost: q\r\n\(header)\(extra)Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
            }
            func messageId(_ response: RawResponse) throws -> String {
                try #require((try JSONSerialization.jsonObject(with: Data(response.bodyText.utf8)) as? [String: Any])?["messageId"] as? String)
            }
            func sent(_ gateway: TestGateway) throws -> Int? {
                let response = try exchange(port: gateway.adminPort, "GET /queues HTTP/1.1\r\nHost: admin\r\n\r\n")
                let queues = (try JSONSerialization.jsonObject(with: Data(response.bodyText.utf8)) as? [String: Any])?["queues"] as? [[String: Any]]
                return queues?.first?["visible"] as? Int
            }
            var first = ""
            try await withGateway(config) { gateway in
                let a = try post(gateway.port, key: "order-1")
                #expect(a.status == 202)
                first = try messageId(a)
                let again = try post(gateway.port, key: "order-1", body: "a different body, same key")
                let againId = try messageId(again)
                #expect(again.status == 202 && againId == first, "the first request's answer")
                #expect(try messageId(try post(gateway.port, key: "order-2")) != first)
                #expect(try messageId(try post(gateway.port, key: nil)) != first, "no key: enqueued as usual")
                #expect(try sent(gateway) == 3)
                let twice = try post(gateway.port, key: "order-3", extra: "Idempotency-Key: order-4\r\n")
                #expect(twice.status == 400 && twice.bodyText.contains("more than once"))
                #expect(try sent(gateway) == 3)
            }
            try await withGateway(config) { gateway in
                let afterRestart = try messageId(try post(gateway.port, key: "order-1"))
                #expect(afterRestart == first, "remembered on disk")
                #expect(try sent(gateway) == 3)
            }
        }

        @Test func messagesOutliveARestartWithStatePath() async throws {
            // No consumer: the message waits on disk across the restart.
            let folder = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let config = TestGateway.config(#"""
                "state": { "path": "\#(folder)" }, "queues": [ { "name": "orders" } ],
                "apis": [ { "name": "shop", "routes": [
                  { "route": "POST /orders", "integration": { "type": "queue", "queue": "orders" } } ] } ]
                """#)
            var id = ""
            try await withGateway(config) { gateway in
                let response = try exchange(port: gateway.port, "POST /orders HTTP/1.1\r\nHost: q\r\nContent-Length: 7\r\n\r\nkeep me")
                #expect(response.status == 202)
                id = try #require((try JSONSerialization.jsonObject(with: Data(response.bodyText.utf8)) as? [String: Any])?["messageId"] as? String)
            }
            try await withGateway(config) { gateway in
                let peek = try exchange(port: gateway.adminPort, "GET /queues/orders/messages HTTP/1.1\r\nHost: admin\r\n\r\n")
                let messages = try #require((try JSONSerialization.jsonObject(with: Data(peek.bodyText.utf8)) as? [String: Any])?["messages"] as? [[String: Any]])
                #expect(messages.map { $0["messageId"] as? String } == [id])
                #expect(messages.first?["body"] as? String == "keep me")
            }
        }

        @Test func aGarbledQueueFileIsReportedAndOtherRoutesKeepServing() async throws {
            let folder = try TestGateway.makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: folder + "/queues.sqlite"))
            let config = TestGateway.config(#"""
                "state": { "path": "\#(folder)" }, "queues": [ { "name": "orders" } ],
                "apis": [ { "name": "shop", "routes": [
                  { "route": "POST /orders", "integration": { "type": "queue", "queue": "orders" } },
                  { "route": "GET /ping", "integration": { "type": "mock", "status": 200, "body": "pong" } } ] } ]
                """#)
            try await withGateway(config) { gateway in
                #expect(try exchange(port: gateway.port, get("/ping")).status == 200)
                let refused = try exchange(port: gateway.port, "POST /orders HTTP/1.1\r\nHost: q\r\nContent-Length: 2\r\n\r\nhi")
                #expect(refused.status == 503 && refused.bodyText.contains("queues are unavailable"))
                #expect(refused.header("retry-after") == "1")
                let admin = try exchange(port: gateway.adminPort, "GET /queues HTTP/1.1\r\nHost: admin\r\n\r\n")
                #expect(admin.status == 502 && admin.bodyText.contains("queues are unavailable"))
            }
            // The file is left as it was, for whoever repairs it.
            #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/queues.sqlite")) == Data(repeating: 0x5A, count: 8192))
        }
    }
}
