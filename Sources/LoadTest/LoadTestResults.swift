import Histogram

/// What a load test counted. Admitted = a 2xx answer; throttled = 429; anything else is "other"; errors are
/// requests with no answer (connection failed or timed out).
public struct LoadTestResults: Sendable {
    public struct Counts: Sendable, Equatable {
        public var sent = 0
        public var admitted = 0
        public var throttled = 0
        public var other = 0
        public var errors = 0

        public init() {}

        mutating func add(_ o: Counts) {
            sent += o.sent
            admitted += o.admitted
            throttled += o.throttled
            other += o.other
            errors += o.errors
        }

        public var answered: Int { admitted + throttled + other }
    }

    public var total = Counts()
    public var statusCounts: [Int: Int] = [:]
    /// By the second in which each request was due.
    public var perSecond: [Counts]
    /// By API key, in the order given (empty when no key was sent).
    public var perKey: [Counts]
    /// From the intended send time to the end of the response, in microseconds: a server that stalls is charged
    /// for every request it delayed (no coordinated omission).
    public var latency = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    /// Requests sent more than `lateThreshold` after they were due (the client or the server could not keep up).
    public var lateSends = 0
    public static let lateThresholdNanoseconds: Int64 = 10_000_000

    public init(seconds: Int, keys: Int) {
        perSecond = Array(repeating: Counts(), count: max(seconds, 1))
        perKey = Array(repeating: Counts(), count: keys)
    }

    mutating func recordSent(index: Int, second: Int, key: Int?, lateBy: Int64) {
        total.sent += 1
        perSecond[min(second, perSecond.count - 1)].sent += 1
        if let key { perKey[key].sent += 1 }
        if lateBy > Self.lateThresholdNanoseconds { lateSends += 1 }
    }

    mutating func recordAnswer(status: Int, second: Int, key: Int?, latencyNanoseconds: Int64) {
        statusCounts[status, default: 0] += 1
        let second = min(second, perSecond.count - 1)
        switch status {
        case 200..<300:
            total.admitted += 1; perSecond[second].admitted += 1
            if let key { perKey[key].admitted += 1 }
        case 429:
            total.throttled += 1; perSecond[second].throttled += 1
            if let key { perKey[key].throttled += 1 }
        default:
            total.other += 1; perSecond[second].other += 1
            if let key { perKey[key].other += 1 }
        }
        _ = latency.record(UInt64(max(0, latencyNanoseconds) / 1000))
    }

    mutating func recordError(second: Int, key: Int?) {
        total.errors += 1
        perSecond[min(second, perSecond.count - 1)].errors += 1
        if let key { perKey[key].errors += 1 }
    }

    mutating func merge(_ other: LoadTestResults) {
        total.add(other.total)
        for (status, count) in other.statusCounts { statusCounts[status, default: 0] += count }
        for i in perSecond.indices where i < other.perSecond.count { perSecond[i].add(other.perSecond[i]) }
        for i in perKey.indices where i < other.perKey.count { perKey[i].add(other.perKey[i]) }
        latency.add(other.latency)
        lateSends += other.lateSends
    }
}
