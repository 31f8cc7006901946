import GatewayCore
import Testing
@testable import GatewayConfig

@Suite struct QueueDecoderTests {
    static let functions = #""functions": [{"name": "process-order", "command": ["./bootstrap"]}]"#
    static let second = QueueSettings.second

    func queues(_ items: String, functions: String = Self.functions) -> ConfigLoadResult {
        TestConfig.compile(TestConfig.top(#"\#(functions), "queues": [\#(items)]"#))
    }

    func lines(_ items: String, functions: String = Self.functions) -> [String] {
        queues(items, functions: functions).diagnostics.map(\.description)
    }

    func only(_ item: String) throws -> QueueDefinition {
        let result = queues(item)
        #expect(result.diagnostics == [])
        return try #require(result.snapshot?.queues.first)
    }

    @Test func theContractsExample() throws {
        let result = queues(#"""
            { "name": "orders", "visibilityTimeout": "30s", "maxReceiveCount": 3, "deadLetterQueue": "orders-dlq",
              "delay": "0s", "retention": "4d",
              "consumer": { "function": "process-order", "batchSize": 10, "batchWindow": "1s", "maxConcurrency": 2 } },
            { "name": "orders-dlq", "retention": "14d" }
            """#)
        #expect(result.diagnostics == [])
        #expect(result.snapshot?.queues == [
            QueueDefinition(name: "orders",
                            settings: QueueSettings(visibilityTimeout: 30 * Self.second, maxReceiveCount: 3, delay: 0,
                                                    retention: 4 * 86_400 * Self.second),
                            deadLetterQueue: "orders-dlq",
                            consumer: QueueConsumerSettings(function: "process-order", batchSize: 10,
                                                            batchWindow: Self.second, maxConcurrency: 2)),
            QueueDefinition(name: "orders-dlq",
                            settings: QueueSettings(visibilityTimeout: 30 * Self.second, maxReceiveCount: nil, delay: 0,
                                                    retention: 14 * 86_400 * Self.second)),
        ])
    }

    @Test func defaults() throws {
        let queue = try only(#"{"name": "q"}"#)
        #expect(queue == QueueDefinition(name: "q"))
        #expect(queue.settings == QueueSettings(visibilityTimeout: 30 * Self.second, maxReceiveCount: nil, delay: 0,
                                                retention: 4 * 86_400 * Self.second))
        #expect(queue.deadLetterQueue == nil && queue.consumer == nil)
        let consumer = try #require(try only(#"{"name": "q", "consumer": {"function": "process-order"}}"#).consumer)
        #expect(consumer == QueueConsumerSettings(function: "process-order", batchSize: 10, batchWindow: 0, maxConcurrency: 2))
        #expect(queues("").diagnostics == [] && queues("").snapshot?.queues == [])
        #expect(TestConfig.compile(TestConfig.top("")).snapshot?.queues == [])
    }

    @Test func boundsAreInclusive() throws {
        let high = try only(#"""
            {"name": "q", "visibilityTimeout": "12h", "maxReceiveCount": 1000, "delay": "15m", "retention": "14d",
             "consumer": {"function": "process-order", "batchSize": 10000, "batchWindow": "5m", "maxConcurrency": 1000}}
            """#)
        #expect(high.settings == QueueSettings(visibilityTimeout: 12 * 3600 * Self.second, maxReceiveCount: 1000,
                                               delay: 900 * Self.second, retention: 14 * 86_400 * Self.second))
        #expect(high.consumer == QueueConsumerSettings(function: "process-order", batchSize: 10_000,
                                                       batchWindow: 300 * Self.second, maxConcurrency: 1000))
        let low = try only(#"""
            {"name": "q", "visibilityTimeout": 0.5, "maxReceiveCount": 1, "delay": 0, "retention": "1m",
             "consumer": {"function": "process-order", "batchSize": 1, "batchWindow": "250ms", "maxConcurrency": 1}}
            """#)
        #expect(low.settings == QueueSettings(visibilityTimeout: Self.second / 2, maxReceiveCount: 1, delay: 0,
                                              retention: 60 * Self.second))
        #expect(low.consumer == QueueConsumerSettings(function: "process-order", batchSize: 1,
                                                      batchWindow: Self.second / 4, maxConcurrency: 1))
    }

    @Test func maxReceiveCountWithoutADeadLetterQueueDropsMessages() throws {
        let queue = try only(#"{"name": "q", "maxReceiveCount": 5}"#)
        #expect(queue.settings.maxReceiveCount == 5 && queue.deadLetterQueue == nil)
    }

    @Test func settingsOutOfBounds() {
        let p = "/queues/0"
        #expect(lines(#"{"name": "q", "visibilityTimeout": 0}"#)
            == ["\(p)/visibilityTimeout: must be greater than 0 and at most 12h (got 0)"])
        #expect(lines(#"{"name": "q", "visibilityTimeout": "13h"}"#)
            == ["\(p)/visibilityTimeout: must be greater than 0 and at most 12h (got 13h)"])
        #expect(lines(#"{"name": "q", "visibilityTimeout": "soon"}"#)
            == [#"\#(p)/visibilityTimeout: invalid duration "soon": use seconds (30, 0.5) or a number with ms, s, m, h or d ("250ms", "29s", "5m")"#])
        #expect(lines(#"{"name": "q", "maxReceiveCount": 0}"#) == ["\(p)/maxReceiveCount: must be between 1 and 1000 (got 0)"])
        #expect(lines(#"{"name": "q", "maxReceiveCount": 1001}"#) == ["\(p)/maxReceiveCount: must be between 1 and 1000 (got 1001)"])
        #expect(lines(#"{"name": "q", "maxReceiveCount": 2.5}"#) == ["\(p)/maxReceiveCount: must be an integer (got 2.5)"])
        #expect(lines(#"{"name": "q", "delay": "16m"}"#) == ["\(p)/delay: must be between 0 and 15m (got 16m)"])
        #expect(lines(#"{"name": "q", "delay": -1}"#) == ["\(p)/delay: must be between 0 and 15m (got -1)"])
        #expect(lines(#"{"name": "q", "retention": "59s"}"#) == ["\(p)/retention: must be between 1m and 14d (got 59s)"])
        #expect(lines(#"{"name": "q", "retention": "15d"}"#) == ["\(p)/retention: must be between 1m and 14d (got 15d)"])
        #expect(queues(#"{"name": "q", "retention": "15d"}"#).snapshot == nil)
    }

    @Test func consumerErrors() {
        let p = "/queues/0/consumer"
        func consumer(_ json: String, functions: String = Self.functions) -> [String] {
            lines(#"{"name": "q", "consumer": \#(json)}"#, functions: functions)
        }
        #expect(consumer("{}") == [#"\#(p): missing required key "function""#])
        #expect(consumer(#""process-order""#) == ["\(p): must be an object (got string)"])
        #expect(consumer(#"{"function": "process-ordr"}"#)
            == [#"\#(p)/function: no function named "process-ordr"; did you mean "process-order"?"#])
        #expect(consumer(#"{"function": "billing"}"#) == [#"\#(p)/function: no function named "billing""#])
        #expect(consumer(#"{"function": "process-order"}"#, functions: #""functions": []"#)
            == [#"\#(p)/function: no function named "process-order"; "functions" defines none"#])
        #expect(consumer(#"{"function": "process-order", "batchSize": 0}"#)
            == ["\(p)/batchSize: must be between 1 and 10000 (got 0)"])
        #expect(consumer(#"{"function": "process-order", "batchSize": 10001}"#)
            == ["\(p)/batchSize: must be between 1 and 10000 (got 10001)"])
        #expect(consumer(#"{"function": "process-order", "batchWindow": "6m"}"#)
            == ["\(p)/batchWindow: must be between 0 and 5m (got 6m)"])
        #expect(consumer(#"{"function": "process-order", "maxConcurrency": 0}"#)
            == ["\(p)/maxConcurrency: must be between 1 and 1000 (got 0)"])
        #expect(consumer(#"{"function": "process-order", "batchsize": 5}"#)
            == [#"\#(p)/batchsize: unknown key "batchsize" (did you mean "batchSize"?)"#])
        #expect(queues(#"{"name": "q", "consumer": {"function": "billing"}}"#).snapshot == nil)
    }

    @Test func aBrokenFunctionsSectionIsNotBlamedOnTheConsumer() {
        #expect(lines(#"{"name": "q", "consumer": {"function": "process-order"}}"#,
                      functions: #""functions": [{"name": "process-order"}]"#)
            == [#"/functions/0: missing required key "command" (a hosted function) or "invoke" (a remote one)"#])
    }

    @Test func deadLetterQueues() {
        #expect(lines(#"{"name": "orders", "maxReceiveCount": 3, "deadLetterQueue": "orders-dql"}, {"name": "orders-dlq"}"#)
            == [#"/queues/0/deadLetterQueue: no queue named "orders-dql"; did you mean "orders-dlq"?"#])
        #expect(lines(#"{"name": "orders", "maxReceiveCount": 3, "deadLetterQueue": "elsewhere"}, {"name": "orders-dlq"}"#)
            == [#"/queues/0/deadLetterQueue: no queue named "elsewhere""#])
        #expect(lines(#"{"name": "orders", "maxReceiveCount": 3, "deadLetterQueue": "order"}"#)
            == [#"/queues/0/deadLetterQueue: no queue named "order"; "queues" defines no other queue"#])
        #expect(lines(#"{"name": "orders", "maxReceiveCount": 3, "deadLetterQueue": "orders"}"#)
            == [#"/queues/0/deadLetterQueue: must name another queue, not "orders" itself"#])
        #expect(lines(#"{"name": "orders", "deadLetterQueue": "dlq"}, {"name": "dlq"}"#)
            == [#"/queues/0/deadLetterQueue: "deadLetterQueue" needs "maxReceiveCount" (the receives after which a message moves there)"#])
        #expect(lines(#"{"name": "orders", "maxReceiveCount": 3, "deadLetterQueue": 7}"#)
            == ["/queues/0/deadLetterQueue: must be a string (got number)"])
        // A dead-letter queue may come before the queue that names it.
        #expect(lines(#"{"name": "dlq"}, {"name": "orders", "maxReceiveCount": 3, "deadLetterQueue": "dlq"}"#) == [])
        // While a queue's name is broken, an unknown dead-letter name might be that queue: only the name is reported.
        #expect(lines(#"{"name": "orders", "maxReceiveCount": 3, "deadLetterQueue": "dl q"}, {"name": "dl q"}"#)
            == [#"/queues/1/name: must be 1 to 64 letters, digits, '-' or '_' (got "dl q")"#])
        #expect(queues(#"{"name": "orders", "maxReceiveCount": 3, "deadLetterQueue": "orders"}"#).snapshot == nil)
    }

    @Test func namesAndShape() {
        #expect(lines(#"{"name": "q"}, {"name": "r"}, {"name": "q"}"#)
            == [#"/queues/2/name: duplicate queue name "q" (also at /queues/0)"#])
        #expect(lines(#"{"name": "orders.fifo"}"#)
            == [#"/queues/0/name: must be 1 to 64 letters, digits, '-' or '_' (got "orders.fifo")"#])
        #expect(lines(#"{"name": ""}"#) == ["/queues/0/name: must not be empty"])
        #expect(lines(#"{"retention": "1d"}"#) == [#"/queues/0: missing required key "name""#])
        #expect(lines(#""orders""#) == ["/queues/0: must be an object (got string)"])
        #expect(lines(#"{"name": "q", "visibilityTimout": 5}"#)
            == [#"/queues/0/visibilityTimout: unknown key "visibilityTimout" (did you mean "visibilityTimeout"?)"#])
        #expect(TestConfig.lines(TestConfig.top(#""queues": {"name": "q"}"#)) == ["/queues: must be an array (got object)"])
        #expect(queues(#"{"name": "q"}, {"name": "q"}"#).snapshot == nil)
    }
}
