import GatewayCore

/// The queues as the admin API shows them: `GET /queues`, a peek at a queue's messages, and the CloudWatch
/// metrics SQS users know (`ApproximateNumberOfMessagesVisible`…) as `portcullis_queue_*` series.
enum QueueReport {
    static let pathPrefix = "/queues"
    /// A peek shows at most this many messages (SQS receives at most 10; a dead-letter queue wants more).
    static let maxPeek = 1000

    /// What an admin path under `/queues` names.
    enum Target: Equatable {
        case list
        case messages(String)
        case redrive(String)
    }

    static func target(of path: Substring) -> Target? {
        guard path.hasPrefix(pathPrefix) else { return nil }
        let rest = path.dropFirst(pathPrefix.count)
        if rest.isEmpty || rest == "/" { return .list }
        let parts = rest.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard rest.first == "/", parts.count == 2, let name = PercentDecoding.decode(parts[0]), !name.isEmpty else {
            return nil
        }
        switch parts[1] {
        case "messages": return .messages(name)
        case "redrive": return .redrive(name)
        default: return nil
        }
    }

    /// `?limit=N` (default 10); nil when malformed or out of range.
    static func peekLimit(_ query: Substring?) -> Int? {
        var limit = 10
        for pair in (query ?? "").split(separator: "&") {
            guard pair.hasPrefix("limit="), let value = Int(pair.dropFirst(6)), (1...maxPeek).contains(value) else {
                return nil
            }
            limit = value
        }
        return limit
    }

    /// `{"queues": [{"name", "visible", "inFlight", "delayed", "oldestAgeSeconds", "deadLetterQueue",
    /// "sent", "received", "deleted"}]}`; the counts are since the gateway started.
    static func json(_ reports: [QueueSummary]) -> [UInt8] {
        var out: [UInt8] = Array(#"{"queues":["#.utf8)
        for (index, report) in reports.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            let stats = report.statistics
            out.append(contentsOf: #"{"name":"#.utf8)
            JSONEscaping.appendQuoted(report.name, to: &out)
            out.append(contentsOf: #","visible":\#(stats.visible),"inFlight":\#(stats.inFlight),"delayed":\#(stats.delayed),"#.utf8)
            out.append(contentsOf: #""oldestAgeSeconds":\#(stats.oldestAgeNanoseconds / 1_000_000_000),"deadLetterQueue":"#.utf8)
            if let dlq = report.deadLetterQueue { JSONEscaping.appendQuoted(dlq, to: &out) } else { out.append(contentsOf: "null".utf8) }
            out.append(contentsOf: #","sent":\#(report.counts.sent),"received":\#(report.counts.received),"#.utf8)
            out.append(contentsOf: #""deleted":\#(report.counts.deleted)}"#.utf8)
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }

    /// `{"messages": [{"messageId", "body", "receiveCount", "sentAt", "lastError", "origin"}]}`.
    static func json(_ messages: [QueuedMessage]) -> [UInt8] {
        var out: [UInt8] = Array(#"{"messages":["#.utf8)
        for (index, message) in messages.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"messageId":"#.utf8)
            JSONEscaping.appendQuoted(message.id, to: &out)
            out.append(contentsOf: #","body":"#.utf8)
            JSONEscaping.appendQuoted(String(decoding: message.body, as: UTF8.self), to: &out)
            out.append(contentsOf: #","receiveCount":\#(message.receiveCount),"sentAt":""#.utf8)
            RFC3339.append(epochMilliseconds: message.sentAt / 1_000_000, to: &out)
            out.append(contentsOf: #"","lastError":"#.utf8)
            if let error = message.lastError { JSONEscaping.appendQuoted(error, to: &out) } else { out.append(contentsOf: "null".utf8) }
            out.append(contentsOf: #","origin":"#.utf8)
            if let origin = message.origin { JSONEscaping.appendQuoted(origin, to: &out) } else { out.append(contentsOf: "null".utf8) }
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }

    static func prometheus(_ reports: [QueueSummary]) -> [UInt8] {
        guard !reports.isEmpty else { return [] }
        let series: [(String, String, String, (QueueSummary) -> Int64)] = [
            ("portcullis_queue_approximate_number_of_messages_visible", "gauge",
             "Messages a consumer can receive now (SQS ApproximateNumberOfMessagesVisible).", { Int64($0.statistics.visible) }),
            ("portcullis_queue_approximate_number_of_messages_not_visible", "gauge",
             "Messages received and not yet deleted (SQS ApproximateNumberOfMessagesNotVisible).", { Int64($0.statistics.inFlight) }),
            ("portcullis_queue_approximate_number_of_messages_delayed", "gauge",
             "Messages waiting out their delay (SQS ApproximateNumberOfMessagesDelayed).", { Int64($0.statistics.delayed) }),
            ("portcullis_queue_approximate_age_of_oldest_message_seconds", "gauge",
             "Age of the oldest message (SQS ApproximateAgeOfOldestMessage).", { $0.statistics.oldestAgeNanoseconds / 1_000_000_000 }),
            ("portcullis_queue_number_of_messages_sent_total", "counter",
             "Messages stored since start (SQS NumberOfMessagesSent).", { Int64($0.counts.sent) }),
            ("portcullis_queue_number_of_messages_received_total", "counter",
             "Messages handed to consumers since start (SQS NumberOfMessagesReceived).", { Int64($0.counts.received) }),
            ("portcullis_queue_number_of_messages_deleted_total", "counter",
             "Messages processed and deleted since start (SQS NumberOfMessagesDeleted).", { Int64($0.counts.deleted) }),
        ]
        var text = ""
        for (name, type, help, value) in series {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for report in reports {
                text += "\(name){queue=\"\(WAFReport.label(report.name))\"} \(value(report))\n"
            }
        }
        return Array(text.utf8)
    }
}
