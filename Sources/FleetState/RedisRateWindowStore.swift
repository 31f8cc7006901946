import GatewayCore
import NIOCore
import Redis

/// WAF rate-based rules counted for the whole fleet: every instance's requests go into one sliding window per key
/// in Redis, decided by one script per request (all of the request's rate rules, in order, stopping at the first
/// that decides), on the server's clock. Within the budget or `onUnavailable` decides, as for limits: `local`
/// counts in memory against limit ÷ live instances, `allow` lets every hit under its limit, `deny` puts every hit
/// over it.
public final class RedisRateWindowStore: RateWindowStore {
    let pool: RedisPool
    let availability: RedisAvailability
    let policy: RedisStateSettings.UnavailablePolicy
    let budget: TimeAmount
    let clockSource: RedisLimitStore.ClockSource
    let fleet: FleetMembership?
    let local = MemoryRateWindowStore()
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
            clockArgument(now), .integer(window.slotMicroseconds), .integer(Int64(threshold)), .string(window.windowPrefix),
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

    func decide(_ hits: [RateHit], now: EpochNanoseconds, completion: @escaping @Sendable (OperationResult) -> Void) {
        var keys: [RESPArgument] = []
        var arguments: [RESPArgument] = [clockArgument(now), .integer(Int64(hits.count))]
        keys.reserveCapacity(hits.count * 3)
        arguments.reserveCapacity(2 + hits.count * 8)
        for hit in hits {
            let window = unsafeDowncast(hit.window.storage, to: Window.self)
            let member = hit.key.fleetMember
            keys.append(.string(window.windowPrefix + member))
            keys.append(window.members)
            keys.append(window.labels)
            arguments.append(.integer(window.slotMicroseconds))
            arguments.append(.integer(Int64(hit.limit)))
            arguments.append(hit.countsRefused ? "1" : "0")
            arguments.append(hit.decides ? "1" : "0")
            arguments.append(.integer(Int64(window.maxTrackedKeys)))
            arguments.append(.string(window.windowPrefix))
            arguments.append(.string(member))
            arguments.append(.string(hit.label ?? ""))
        }
        pool.evaluate(RateWindowScripts.record, keys: keys, arguments: arguments, on: RedisPool.currentOrAnyLoop(),
                      within: budget).whenComplete { [self] result in
            switch result {
            case .success(let reply):
                if let record = Self.record(of: reply, hitCount: hits.count) {
                    completion(.success(record))
                } else {
                    availability.reportFailure("unexpected reply to the rate-window script: \(reply)")
                    completion(.success(unavailableRecord(hits, now: now)))
                }
            case .failure(RedisClientError.timedOut):
                availability.reportFailure("no reply within the \(budget.nanoseconds / 1_000_000) ms budget")
                completion(.success(unavailableRecord(hits, now: now)))
            case .failure(let error):
                availability.reportFailure("\(error)")
                completion(.success(unavailableRecord(hits, now: now)))
            }
        }
    }

    static func record(of reply: RESPValue, hitCount: Int) -> RateRecord? {
        guard let parts = reply.array, parts.count == 2, let overList = parts[0].array ?? (parts[0] == .null ? [] : nil),
              let deciding = parts[1].integer else { return nil }
        var record = RateRecord()
        for item in overList {
            guard let index = item.integer, index >= 0, index < hitCount, index < 64 else { return nil }
            record.overLimit |= 1 << UInt64(index)
        }
        if deciding >= 0 {
            guard deciding < hitCount else { return nil }
            record.decidingHit = Int(deciding)
        }
        return record
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

    private func clockArgument(_ now: EpochNanoseconds) -> RESPArgument {
        switch clockSource {
        case .server: return ""
        case .caller: return .integer(now / 1000)
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
