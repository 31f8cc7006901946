import GatewayCore
import NIOCore
import Redis

/// WAF rate-based rules counted for the whole fleet: every instance's requests go into one sliding window per key
/// in Redis, decided by one script per request (all of the request's rate rules, in order, stopping at the first
/// that decides), on the server's clock. Within the budget or `onUnavailable` decides, as for limits: `local`
/// counts in memory against limit ÷ live instances, `allow` lets every hit under its limit, `deny` puts every hit
/// over it.
public final class RedisRateWindowStore: RateWindowStore, TickBatchSender {
    let pool: RedisPool
    let availability: RedisAvailability
    let policy: RedisStateSettings.UnavailablePolicy
    let budget: TimeAmount
    let clockSource: RedisLimitStore.ClockSource
    let fleet: FleetMembership?
    let local = MemoryRateWindowStore()
    private let batches = TickBatches<RateDecision>()
    private let keyPrefix: String

    /// One rule's Redis names, built once per handle.
    final class Window: Sendable {
        let id: RateRuleID
        let maxTrackedKeys: Int
        let slotMicroseconds: Int64
        /// `…w:RULE|KEY|WINDOW:` + member is a key's window hash.
        let windowPrefix: String
        let members: RESPArgument
        let labels: RESPArgument
        /// The same rule's counters in memory, for the local share.
        let local: RateWindowHandle

        init(id: RateRuleID, maxTrackedKeys: Int, keyPrefix: String, local: RateWindowHandle) {
            self.id = id
            self.maxTrackedKeys = maxTrackedKeys
            // Rounded up: a window a little longer than configured releases a key late (as the memory store may),
            // never early.
            slotMicroseconds = max(1, (id.windowNanoseconds / 128 + 999) / 1000)
            let rule = "\(id.rule)|\(id.key)|\(id.windowNanoseconds)"
            windowPrefix = keyPrefix + "w:" + rule + ":"
            members = .string(keyPrefix + "wk:" + rule)
            labels = .string(keyPrefix + "wl:" + rule)
            self.local = local
        }
    }

    public init(pool: RedisPool, availability: RedisAvailability, settings: RedisStateSettings,
                fleet: FleetMembership? = nil, clockSource: RedisLimitStore.ClockSource = .server) {
        self.pool = pool
        self.availability = availability
        self.policy = settings.onUnavailable
        self.budget = .nanoseconds(RedisAvailability.nanoseconds(settings.budget))
        self.keyPrefix = settings.keyPrefix
        self.clockSource = clockSource
        self.fleet = fleet
        // The outage's local counts end with it (the fleet's windows in Redis count from here on).
        availability.onRecovery { [weak local] in
            local?.resetCounts()
            return true
        }
    }

    public func window(for id: RateRuleID, maxTrackedKeys: Int) -> RateWindowHandle {
        let window = Window(id: id, maxTrackedKeys: maxTrackedKeys, keyPrefix: keyPrefix,
                            local: local.window(for: id, maxTrackedKeys: maxTrackedKeys))
        return RateWindowHandle(id: id, storage: window)
    }

    public func record(_ hits: [RateHit], now: EpochNanoseconds) -> StoreReply<RateRecord> {
        guard availability.isAvailable else { return .ready(unavailableRecord(hits, now: now)) }
        return .pending(RedisRateOperation(store: self, hits: hits, now: now))
    }

    /// `GET /waf` looks at most at this many keys per rule, the ones seen most recently in the window: one script
    /// runs alone on the server, and a rule may track millions of keys.
    static let maxKeysExamined = 10_000

    public func keys(of handle: RateWindowHandle, atOrAbove threshold: Int, now: EpochNanoseconds) async -> [RateKeyStatus] {
        let window = unsafeDowncast(handle.storage, to: Window.self)
        let reply = try? await pool.evaluate(RateWindowScripts.keys, keys: [window.members, window.labels], arguments: [
            clockSource.argument(now), .integer(window.slotMicroseconds), .integer(Int64(threshold)), .string(window.windowPrefix),
            .integer(Int64(Self.maxKeysExamined)),
        ], on: RedisPool.currentOrAnyLoop(), within: .seconds(5)).get()
        guard let rows = reply?.array else {
            return await local.keys(of: window.local, atOrAbove: threshold, now: now)  // Redis away: what this instance saw
        }
        let statuses: [RateKeyStatus] = rows.compactMap { row in
            guard let fields = row.array, fields.count == 4, let member = fields[0].string, let label = fields[1].string,
                  let count = fields[2].integer, let slot = fields[3].integer else { return nil }
            return RateKeyStatus(key: label.isEmpty ? RateKey.displayName(ofFleetMember: member) : label,
                                 count: Int(count), releasedAt: slot * window.slotMicroseconds * 1000)
        }
        return statuses.sorted { ($0.releasedAt, $0.key) > ($1.releasedAt, $1.key) }
    }

    // MARK: one decision

    /// Adds the request's hits to its loop's batch, sent when the tick's other work is done; answers within the
    /// budget whatever Redis does.
    func decide(_ hits: [RateHit], now: EpochNanoseconds, completion: @escaping @Sendable (OperationResult) -> Void) {
        let eventLoop = RedisPool.currentOrAnyLoop()
        guard eventLoop.inEventLoop else {
            eventLoop.execute { self.decide(hits, now: now, completion: completion) }
            return
        }
        let box = batches.batch(of: eventLoop)
        let batch = box.value
        batch.entries.append(RateDecision(hits: hits, now: now, completion: completion))
        batch.arguments.append(clockSource.argument(now))
        batch.arguments.append(.integer(Int64(hits.count)))
        for hit in hits {
            let window = unsafeDowncast(hit.window.storage, to: Window.self)
            let member = hit.key.fleetMember
            batch.keys.append(.string(window.windowPrefix + member))
            batch.keys.append(window.members)
            batch.keys.append(window.labels)
            batch.arguments.append(.integer(window.slotMicroseconds))
            batch.arguments.append(.integer(Int64(hit.limit)))
            batch.arguments.append(hit.countsRefused ? "1" : "0")
            batch.arguments.append(hit.decides ? "1" : "0")
            batch.arguments.append(.integer(Int64(window.maxTrackedKeys)))
            batch.arguments.append(.string(window.windowPrefix))
            batch.arguments.append(.string(member))
            batch.arguments.append(.string(hit.label ?? ""))
        }
        batch.joined(by: self, on: eventLoop, budget: budget)
    }

    func call(_ batch: TickBatch<RateDecision>.Taken, on eventLoop: EventLoop, within budget: TimeAmount)
        -> EventLoopFuture<RESPValue> {
        pool.evaluate(RateWindowScripts.record, keys: batch.keys, arguments: batch.arguments, on: eventLoop, within: budget)
    }

    /// Each request of a batch gets its record from the script's reply, or `onUnavailable`'s.
    func answer(_ entries: [RateDecision], with result: Result<RESPValue, any Error>) {
        var failure: String
        switch result {
        case .success(let reply):
            if let values = reply.array {
                var position = 0
                var answered = 0
                for entry in entries {
                    guard let (record, next) = Self.record(of: values, at: position, hitCount: entry.hits.count) else { break }
                    position = next
                    answered += 1
                    entry.completion(.success(record))
                }
                if answered == entries.count, position == values.count { return }
                failure = "unexpected reply to the rate-window script: \(reply)"
                availability.reportFailure(failure)
                for entry in entries.dropFirst(answered) {
                    entry.completion(.success(unavailableRecord(entry.hits, now: entry.now)))
                }
                return
            }
            failure = "unexpected reply to the rate-window script: \(reply)"
        case .failure(let error):
            failure = RedisClientError.reason(error, budget: budget)
        }
        availability.reportFailure(failure)
        for entry in entries { entry.completion(.success(unavailableRecord(entry.hits, now: entry.now))) }
    }

    /// One request's part of the flat reply, from `position`: deciding hit, over count, over indexes.
    static func record(of values: [RESPValue], at position: Int, hitCount: Int) -> (RateRecord, Int)? {
        guard position + 2 <= values.count, let deciding = values[position].integer,
              let overCount = values[position + 1].integer, overCount >= 0, overCount <= hitCount,
              position + 2 + Int(overCount) <= values.count else { return nil }
        var record = RateRecord()
        for offset in 0..<Int(overCount) {
            guard let index = values[position + 2 + offset].integer, index >= 0, index < hitCount, index < 64 else {
                return nil
            }
            record.overLimit |= 1 << UInt64(index)
        }
        if deciding >= 0 {
            guard deciding < hitCount else { return nil }
            record.decidingHit = Int(deciding)
        }
        return (record, position + 2 + Int(overCount))
    }

    // MARK: without Redis

    func unavailableRecord(_ hits: [RateHit], now: EpochNanoseconds) -> RateRecord {
        switch policy {
        case .local:
            let shares = max(1, fleet?.liveInstances ?? 1)
            let localHits = hits.map { hit in
                let window = unsafeDowncast(hit.window.storage, to: Window.self)
                return RateHit(window: window.local, key: hit.key, label: hit.label, limit: max(1, hit.limit / shares),
                               countsRefused: hit.countsRefused, decides: hit.decides, tag: hit.tag)
            }
            return local.recordNow(localHits, now: now)
        case .allow:
            return RateRecord()
        case .deny:
            var record = RateRecord()
            for (index, hit) in hits.enumerated() {
                record.overLimit |= 1 << UInt64(index)
                if hit.decides {
                    record.decidingHit = index
                    break
                }
            }
            return record
        }
    }
}

/// One request's rate hits waiting on Redis.
final class RedisRateOperation: PendingOperation, Sendable {
    let store: RedisRateWindowStore
    let hits: [RateHit]
    let now: EpochNanoseconds

    init(store: RedisRateWindowStore, hits: [RateHit], now: EpochNanoseconds) {
        self.store = store
        self.hits = hits
        self.now = now
    }

    func start(_ completion: @escaping @Sendable (OperationResult) -> Void) {
        store.decide(hits, now: now, completion: completion)
    }

    func cancel() {}
}

extension RateKey {
    /// The key's name in Redis, the same on every instance (digests are SHA-256, not per-process hashes); the kind
    /// comes first so an address and a text that reads like one stay apart.
    var fleetMember: String {
        switch self {
        case .address: return "a:" + description
        case .text(let text): return "t:" + text
        case .digest: return "d:" + description.dropFirst("digest:".count)
        }
    }

    /// How the admin API shows a key read back from Redis without a label.
    static func displayName(ofFleetMember member: String) -> String {
        let body = String(member.dropFirst(2))
        return member.hasPrefix("d:") ? "digest:" + body : body
    }
}
