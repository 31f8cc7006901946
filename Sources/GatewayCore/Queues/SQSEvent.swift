import Crypto
import JSONSchema

/// The event a queue's consumer function receives and the answer it may give, as Lambda's SQS event source
/// mapping shapes them: `{"Records": [...]}` with the fields AWS documents (and AWS Lambda Powertools' SQS models
/// require, `SenderId` and `messageAttributes` included), and a `batchItemFailures` response.
public enum SQSEvent {
    /// Where the records say they come from; Portcullis has no AWS account, so these are placeholders in AWS's form.
    public static let region = "us-east-1"
    public static let accountID = "000000000000"

    public static func sourceARN(queue: String) -> String {
        "arn:aws:sqs:\(region):\(accountID):\(queue)"
    }

    /// The batch's event. Bodies are text (the queue integration accepts only UTF-8).
    public static func batch(_ deliveries: [Delivery], queue: String) -> [UInt8] {
        var writer = JSONWriter()
        let arn = sourceARN(queue: queue)
        writer.beginObject()
        writer.key("Records")
        writer.beginArray()
        for delivery in deliveries {
            let message = delivery.message
            writer.beginObject()
            writer.key("messageId"); writer.string(message.id)
            writer.key("receiptHandle"); writer.string(delivery.receipt.handle)
            writer.key("body"); writer.string(String(decoding: message.body, as: UTF8.self))
            writer.key("attributes")
            writer.beginObject()
            writer.key("ApproximateReceiveCount"); writer.string(String(message.receiveCount))
            writer.key("SentTimestamp"); writer.string(String(message.sentAt / 1_000_000))
            writer.key("SenderId"); writer.string("portcullis")
            writer.key("ApproximateFirstReceiveTimestamp")
            writer.string(String((message.firstReceivedAt ?? message.sentAt) / 1_000_000))
            writer.endObject()
            writer.key("messageAttributes"); writer.beginObject(); writer.endObject()
            writer.key("md5OfBody"); writer.string(md5Hex(message.body))
            writer.key("eventSource"); writer.string("aws:sqs")
            writer.key("eventSourceARN"); writer.string(arn)
            writer.key("awsRegion"); writer.string(region)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    /// What a batch's result means (Lambda's `ReportBatchItemFailures`): no `batchItemFailures` (or an empty list)
    /// is success; listed ids are retried alone; an entry without a known id fails the whole batch, as Lambda does.
    public enum Outcome: Sendable, Equatable {
        case succeeded
        case partial(failed: Set<String>)
        case failed(reason: String)
    }

    public static func outcome(of result: some Collection<UInt8>, batch: [Delivery]) -> Outcome {
        guard !result.isEmpty, let value = try? JSONInstance.parse(result),
              case .object(let object) = value, let failures = object["batchItemFailures"], failures != .null else {
            return .succeeded  // any other result (null, a string, an object without the key) deletes the batch
        }
        guard let items = failures.arrayValue else {
            return .failed(reason: "batchItemFailures is not an array")
        }
        if items.isEmpty { return .succeeded }
        let ids = Set(batch.map(\.message.id))
        var failed = Set<String>()
        for item in items {
            guard case .object(let entry) = item, let id = entry["itemIdentifier"]?.stringValue, !id.isEmpty else {
                return .failed(reason: "a batchItemFailures entry has no itemIdentifier")
            }
            guard ids.contains(id) else {
                return .failed(reason: "batchItemFailures names \(id), which is not in the batch")
            }
            failed.insert(id)
        }
        return .partial(failed: failed)
    }

    static func md5Hex(_ bytes: [UInt8]) -> String { ASCIIHex.lowercase(Insecure.MD5.hash(data: bytes)) }
}
