import FleetState
import GatewayCore
import NIOCore
import NIOPosix
import Redis
import StoreTestSupport
import Synchronization
import Testing

/// `onUnavailable`: what limits do when Redis stops answering, and that nothing waits on it past the budget.
@Suite(.enabled(if: RedisServer.available, "redis-server is not installed (.ci/run installs it)"))
struct UnavailableRedisTests {
    static let throttle = Throttle(rateMilli: 1, burst: 4)  // no refill within a test

    /// A budget far above a loaded test machine's round trip, where the budget is not what is tested.
    static func make(port: Int, policy: RedisStateSettings.UnavailablePolicy, budget: Duration = .seconds(1))
        -> (store: RedisLimitStore, availability: RedisAvailability) {
        let settings = RedisStateSettings(url: "redis://127.0.0.1:\(port)", onUnavailable: policy, budget: budget,
                                          keyPrefix: "u\(UInt32.random(in: 0...UInt32.max)):")
        let pool = RedisPool(url: RedisURL(host: "127.0.0.1", port: port), scripts: RedisLimitStore.scripts)
        let availability = RedisAvailability(pool: pool, budget: budget)
        let store = RedisLimitStore(pool: pool, availability: availability, settings: settings, clockSource: .server)
        return (store, availability)
    }

    /// Decides `count` requests and returns the verdicts and the longest single decision.
    static func decide(_ store: RedisLimitStore, _ request: LimitRequest, count: Int) async throws
        -> (verdicts: [LimitOutcome.Verdict], slowest: Duration) {
        var verdicts: [LimitOutcome.Verdict] = []
        var slowest = Duration.zero
        for _ in 0..<count {
            let started = ContinuousClock.now
            // The memory fallback counts on the instance's clock, as the throttle stage passes it.
            verdicts.append(try await LimitStoreConformance.acquire(store, request, at: SystemClock().now()).verdict)
            slowest = max(slowest, ContinuousClock.now - started)
        }
        return (verdicts, slowest)
    }

    @Test(arguments: [RedisStateSettings.UnavailablePolicy.allow, .deny, .local])
    func redisKilledThenRestarted(policy: RedisStateSettings.UnavailablePolicy) async throws {
        let server = try await RedisServer.start()
        let (store, availability) = Self.make(port: server.port, policy: policy)
        let transitions = Recorder<RedisAvailability.Transition>()
        availability.onTransition { transition in transitions.append(transition) }
        let bucket = store.bucket(LimitID("b"), throttle: Self.throttle, policy: .route)
        let quota = store.quota(LimitID("q"), quota: Quota(limit: 100, period: .month))
        let request = LimitRequest(routeBuckets: [bucket], quota: quota)
        #expect(try await Self.decide(store, request, count: 2).verdicts == [.admitted, .admitted])

        server.stop()
        let during = try await Self.decide(store, request, count: 6)
        // The first request finds the connection gone at once (no waiting for the budget); the rest do not try.
        #expect(during.slowest < .milliseconds(500))
        #expect(!availability.isAvailable)
        switch policy {
        case .allow: #expect(during.verdicts == Array(repeating: .admitted, count: 6))
        case .deny: #expect(during.verdicts == Array(repeating: .throttled, count: 6))
        // One live instance: the local share is the whole bucket, counted afresh in memory.
        case .local: #expect(during.verdicts == [.admitted, .admitted, .admitted, .admitted, .throttled, .throttled])
        }

        let restarted = try await RedisServer.start(port: server.port)
        defer { restarted.stop() }
        // Recovered once the probe answered and the local counts were resynchronised (then it is announced).
        for _ in 0..<100 where transitions.values.count < 2 { try await Task.sleep(for: .milliseconds(50)) }
        #expect(availability.isAvailable)
        let seen = transitions.values
        #expect(seen.count == 2)
        if case .unavailable = seen.first {} else { Issue.record("first transition: \(String(describing: seen.first))") }
        if case .available = seen.last {} else { Issue.record("last transition: \(String(describing: seen.last))") }
        // The restarted server lost everything; the local mode's admitted requests were added to the quota.
        let usage = await store.usage(of: quota, now: 0)
        #expect(usage.used == (policy == .local ? 4 : 0))
        #expect(try await Self.decide(store, request, count: 1).verdicts == [.admitted])
        #expect(await store.usage(of: quota, now: 0).used == (policy == .local ? 5 : 1))
    }

    @Test func aSlowRedisCostsARequestNoMoreThanTheBudget() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let proxy = try await DelayingProxy.start(to: server.port, delay: .zero)
        defer { Task { await proxy.stop() } }
        // A budget a loaded test machine keeps when Redis is quick, and a delay far past it.
        let (store, availability) = Self.make(port: proxy.port, policy: .deny, budget: .milliseconds(400))
        // The slow requests still run on the server (only their replies are late): a roomy bucket.
        let roomy = Throttle(rateMilli: 1, burst: 100)
        let request = LimitRequest(routeBuckets: [store.bucket(LimitID("b"), throttle: roomy, policy: .route)])
        #expect(try await Self.admittedEventually(store, request, availability))

        proxy.delay = .seconds(5)
        let slow = try await Self.decide(store, request, count: 3)
        #expect(slow.verdicts == [.throttled, .throttled, .throttled])  // deny: refused while Redis is slow
        #expect(slow.slowest < .seconds(2))  // the budget (0.4 s), not the delay (5 s), plus slack
        #expect(!availability.isAvailable)

        proxy.delay = .zero
        // Back: Redis decides again once the late replies have drained and a probe answered within the budget.
        #expect(try await Self.admittedEventually(store, request, availability))
    }

    /// Asks until Redis admits (a loaded machine may miss a budget now and then); false after ten seconds.
    static func admittedEventually(_ store: RedisLimitStore, _ request: LimitRequest,
                                   _ availability: RedisAvailability) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if availability.isAvailable, try await decide(store, request, count: 1).verdicts == [.admitted] { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}

/// Collects values from any thread.
final class Recorder<Value: Sendable>: Sendable {
    private let list = Mutex<[Value]>([])
    func append(_ value: Value) { list.withLock { $0.append(value) } }
    var values: [Value] { list.withLock { $0 } }
}
