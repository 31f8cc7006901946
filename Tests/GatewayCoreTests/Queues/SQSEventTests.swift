import JSONSchema
import Testing
@testable import GatewayCore

@Suite struct SQSEventTests {
    static let start: EpochNanoseconds = 1_545_082_649_183 * 1_000_000

    static func deliveries() -> [Delivery] {
        var queue = MessageQueue(settings: QueueSettings())
        queue.send(id: "059f36b4-87a3-44ab-83d2-661975830a7d", body: Array("test".utf8), now: Self.start)
        queue.send(id: "2e1424d4-f796-459a-8184-9c92662be6da", body: Array(#"{"order":"A-1","qty":2}"#.utf8), now: Self.start)
        return queue.receive(max: 10, now: Self.start + 2_000_000).deliveries
    }

    @Test func recordsHaveTheFieldsLambdaAndPowertoolsExpect() throws {
        let event = try JSONInstance.parse(SQSEvent.batch(Self.deliveries(), queue: "orders"))
        let records = try #require(event.objectValue?["Records"]?.arrayValue)
        #expect(records.count == 2)
        let first = try #require(records.first?.objectValue)
        #expect(first["messageId"]?.stringValue == "059f36b4-87a3-44ab-83d2-661975830a7d")
        #expect(first["receiptHandle"]?.stringValue == "059f36b4-87a3-44ab-83d2-661975830a7d#1")
        #expect(first["body"]?.stringValue == "test")
        #expect(first["md5OfBody"]?.stringValue == "098f6bcd4621d373cade4e832627b4f6")  // AWS's own example
        #expect(first["eventSource"]?.stringValue == "aws:sqs")
        #expect(first["eventSourceARN"]?.stringValue == "arn:aws:sqs:us-east-1:000000000000:orders")
        #expect(first["awsRegion"]?.stringValue == "us-east-1")
        #expect(first["messageAttributes"] == .object(JSONObject()))
        let attributes = try #require(first["attributes"]?.objectValue)
        #expect(attributes["ApproximateReceiveCount"]?.stringValue == "1")
        #expect(attributes["SentTimestamp"]?.stringValue == "1545082649183")
        #expect(attributes["ApproximateFirstReceiveTimestamp"]?.stringValue == "1545082649185")
        #expect(attributes["SenderId"]?.stringValue != nil)
        #expect(records[1].objectValue?["body"]?.stringValue == #"{"order":"A-1","qty":2}"#)
    }

    @Test func batchItemFailuresRetryOnlyThoseAndAnythingElseSucceeds() {
        let batch = Self.deliveries()
        let failed = #"{"batchItemFailures": [{"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"}]}"#
        #expect(SQSEvent.outcome(of: Array(failed.utf8), batch: batch)
                == .partial(failed: ["2e1424d4-f796-459a-8184-9c92662be6da"]))
        for success in ["", "null", #""done""#, "{}", #"{"batchItemFailures": []}"#, #"{"batchItemFailures": null}"#] {
            #expect(SQSEvent.outcome(of: Array(success.utf8), batch: batch) == .succeeded, "\(success)")
        }
    }

    /// As Lambda does: a failure entry that names nothing in the batch fails the whole batch.
    @Test func anInvalidFailureListFailsTheWholeBatch() {
        let batch = Self.deliveries()
        for invalid in [#"{"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]}"#,
                        #"{"batchItemFailures": [{"itemIdentifier": ""}]}"#,
                        #"{"batchItemFailures": [{}]}"#, #"{"batchItemFailures": [7]}"#,
                        #"{"batchItemFailures": "all"}"#] {
            guard case .failed = SQSEvent.outcome(of: Array(invalid.utf8), batch: batch) else {
                Issue.record("\(invalid) should fail the batch")
                continue
            }
        }
    }
}
