import NIOCore
import Redis
import Synchronization

/// This instance's place in the fleet: a heartbeat every `interval` keeps it in a Redis set for three intervals,
/// and the reply says how many instances are live. The local share of a limit while Redis is away divides by
/// the last count heard (an instance that cannot reach Redis cannot learn that others left).
public final class FleetMembership: Sendable {
    public let instanceID: String
    private let pool: RedisPool
    private let availability: RedisAvailability
    private let key: RESPArgument
    private let interval: Duration
    private let live = Atomic<Int>(1)

    public init(pool: RedisPool, availability: RedisAvailability, keyPrefix: String, instanceID: String,
                interval: Duration = .seconds(1)) {
        self.pool = pool
        self.availability = availability
        self.key = .string(keyPrefix + "instances")
        self.instanceID = instanceID
        self.interval = interval
    }

    /// Live instances as of the last heartbeat (at least 1: this one).
    public var liveInstances: Int { live.load(ordering: .relaxed) }

    /// One heartbeat; false when Redis did not answer.
    @discardableResult
    public func beat() async -> Bool {
        let ttl = RedisAvailability.nanoseconds(interval) * 3 / 1000
        let reply = try? await pool.evaluate(LimitScripts.heartbeat, keys: [key],
                                             arguments: [.string(instanceID), .integer(ttl)],
                                             on: RedisPool.currentOrAnyLoop()).get()
        guard let count = reply?.integer else { return false }
        live.store(max(1, Int(count)), ordering: .relaxed)
        return true
    }

    /// Beats until cancelled. A heartbeat Redis does not answer only skips a beat: requests notice an outage
    /// themselves, within their budget.
    public func run() async {
        while !Task.isCancelled {
            if availability.isAvailable { await beat() }
            try? await Task.sleep(for: interval)
        }
    }

    /// Leaves the set, so the others' shares grow at once rather than when this heartbeat expires.
    public func leave() async {
        _ = try? await pool.send(["ZREM", key, .string(instanceID)], on: RedisPool.currentOrAnyLoop()).get()
    }
}
