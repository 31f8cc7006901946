import GatewayConfig
import NIOHTTP1
import Testing
@testable import GatewayCore

/// The WAF stage built from gateway.json and run as the gateway runs it: through the snapshot's pipeline, so
/// identity (X-Forwarded-For) comes first and a request the WAF lets through goes on to routing.
@Suite struct WAFStageTests {
    static let api = #""apis": [{"name": "a", "routes": [{"route": "ANY /{proxy+}", "integration": {"type": "mock"}}]}]"#

    let clock = ManualClock()
    var state: GatewayState { GatewayState(clock: clock) }

    func snapshot(_ waf: String, extra: String = "", state: GatewayState? = nil) throws -> GatewaySnapshot {
        try StageFixture.snapshot(StageFixture.config(#""waf": "# + waf + ", " + Self.api + extra), state: state ?? self.state)
    }

    /// Runs the pipeline; returns the answer (nil when the request got through to the integration) and the context.
    func run(_ snapshot: GatewaySnapshot, _ request: RequestContext) -> (GatewayAnswer?, RequestContext) {
        var request = request
        switch snapshot.pipeline.run(&request) {
        case .respond(let answer): return (answer, request)
        case .integrate: return (nil, request)
        default:
            Issue.record("unexpected stop")
            return (nil, request)
        }
    }

    func blocked(_ snapshot: GatewaySnapshot, _ request: RequestContext) -> Bool {
        run(snapshot, request).0?.errorCode == .wafFiltered
    }

    // MARK: IP sets

    static let ipSetWAF = #"""
        {"ipSets": {"blocked": ["203.0.113.0/24", "2001:db8:bad::/48"]},
         "rules": [{"name": "blocked-ips", "match": {"ipSet": "blocked"}, "action": "block"}]}
        """#

    @Test func anIPSetBlocksIPv4IPv6AndMappedPeersWithAProblem() throws {
        let s = try snapshot(Self.ipSetWAF)
        let (answer, request) = run(s, TestRequest.make(.GET, "/x", peer: "203.0.113.77"))
        let problem = try expectProblem(answer, status: 403, code: .wafFiltered, connection: .closeIfBodyUnread)
        #expect(problem.detail?.contains("blocked-ips") == false)  // the rule is not named to the client
        #expect(request.wafFinding == WAFFinding(rule: "blocked-ips", action: .block))
        expectUnrouted(request)  // before routing
        #expect(blocked(s, TestRequest.make(.GET, "/x", peer: "::ffff:203.0.113.1")))
        #expect(blocked(s, TestRequest.make(.GET, "/x", peer: "2001:db8:bad:1::5")))
        #expect(!blocked(s, TestRequest.make(.GET, "/x", peer: "203.0.114.1")))
        #expect(!blocked(s, TestRequest.make(.GET, "/x", peer: "2001:db8:bae::1")))
        let stats = s.waf!.rules[0].stats
        #expect(stats.matched.load(ordering: .relaxed) == 3 && stats.blocked.load(ordering: .relaxed) == 3)
    }

    @Test func blockStatusIsConfigurable() throws {
        let s = try snapshot(#"{"rules": [{"name": "all", "match": {"path": "/**"}, "action": "block"}], "blockStatus": 429}"#)
        try expectProblem(run(s, TestRequest.make(.GET, "/x")).0, status: 429, code: .wafFiltered,
                          connection: .closeIfBodyUnread)
    }

    @Test func theClientIPIsTheOneTrustedProxiesForwardFor() throws {
        let s = try snapshot(Self.ipSetWAF, extra: #", "trustedProxies": ["10.0.0.0/8"]"#)
        // From a trusted proxy: the right-most untrusted address is the client.
        #expect(blocked(s, TestRequest.make(.GET, "/x", headers: [("x-forwarded-for", "203.0.113.9, 10.1.1.1")],
                                            peer: "10.0.0.2")))
        // From anyone else the header is the client's own claim: ignored, in both directions.
        #expect(!blocked(s, TestRequest.make(.GET, "/x", headers: [("x-forwarded-for", "203.0.113.9")],
                                             peer: "198.51.100.1")))
        #expect(blocked(s, TestRequest.make(.GET, "/x", headers: [("x-forwarded-for", "198.51.100.1")],
                                            peer: "203.0.113.9")))
    }

    // MARK: paths

    static let adminWAF = #"""
        {"ipSets": {"office": ["198.51.100.0/24"]},
         "rules": [{"name": "office-admin", "match": {"all": [{"path": "/admin/*"}, {"not": {"ipSet": "office"}}]},
                    "action": "block"}]}
        """#

    @Test(arguments: ["/admin/x", "/admin/../admin/x", "//admin/x", "/%61dmin/x", "/admin/./x", "/%61%64min/x",
                      "/%61%64%6D%69%6E/x", "/%61%64%6d%69%6e/x", "/x/%2e%2e/admin/x", "/x/%2E%2E/admin/x",
                      "/admin//x", "/./admin/x", "/admin/x/.", "/admin/x/", "///admin///x//"])
    func evasionsOfAPathGlobAreMatched(target: String) throws {
        let s = try snapshot(Self.adminWAF)
        #expect(blocked(s, TestRequest.make(.GET, target, peer: "203.0.113.5")), "\(target)")
        #expect(!blocked(s, TestRequest.make(.GET, target, peer: "198.51.100.5")), "\(target) from the office")
    }

    @Test(arguments: ["/admin", "/admin/x/y", "/administrator/x", "/ADMIN/x", "/x/admin/y", "/%41dmin/x"])
    func aGlobStarIsOneSegment(target: String) throws {
        // `*` is one segment; paths are case-sensitive (%41 is "A").
        #expect(!blocked(try snapshot(Self.adminWAF), TestRequest.make(.GET, target, peer: "203.0.113.5")), "\(target)")
    }

    @Test func doubleStarCrossesSegmentsAndStarMatchesWithinOne() throws {
        let s = try snapshot(#"""
            {"rules": [{"name": "deep", "match": {"path": "/static/**"}, "action": "block"},
                       {"name": "php", "match": {"path": "/*.php"}, "action": "block"}]}
            """#)
        #expect(blocked(s, TestRequest.make(.GET, "/static/a/b/c")))
        #expect(blocked(s, TestRequest.make(.GET, "/index.php")))
        #expect(!blocked(s, TestRequest.make(.GET, "/a/index.php")))
        #expect(!blocked(s, TestRequest.make(.GET, "/index.phps")))
        #expect(!blocked(s, TestRequest.make(.GET, "/staticx")))
    }

    @Test func pathRegexSearchesTheNormalisedPath() throws {
        let s = try snapshot(#"{"rules": [{"name": "wp", "match": {"pathRegex": "^/wp-(admin|login)"}, "action": "block"}]}"#)
        #expect(blocked(s, TestRequest.make(.GET, "/wp-login.php")))
        #expect(blocked(s, TestRequest.make(.GET, "/x/../wp-%61dmin/")))
        #expect(!blocked(s, TestRequest.make(.GET, "/blog/wp-login.php")))
    }

    // MARK: method, header, query, body size

    @Test func methodsAndCombinators() throws {
        let s = try snapshot(#"""
            {"rules": [{"name": "writes", "match": {"path": "/ro/**", "method": ["POST", "PUT", "DELETE"]}, "action": "block"},
                       {"name": "either", "match": {"any": [{"method": "PATCH"}, {"path": "/never"}]}, "action": "block"}]}
            """#)
        #expect(blocked(s, TestRequest.make(.POST, "/ro/x")))
        #expect(blocked(s, TestRequest.make(.DELETE, "/ro/x")))
        #expect(!blocked(s, TestRequest.make(.GET, "/ro/x")))
        #expect(!blocked(s, TestRequest.make(.POST, "/rw/x")))
        #expect(blocked(s, TestRequest.make(.PATCH, "/anything")))
        #expect(blocked(s, TestRequest.make(.GET, "/never")))
    }

    @Test func headerConditions() throws {
        let s = try snapshot(#"""
            {"rules": [{"name": "eq", "match": {"header": {"name": "X-Env", "equals": "test"}}, "action": "block"},
                       {"name": "ua", "match": {"header": {"name": "user-agent", "contains": "sqlmap"}}, "action": "block"},
                       {"name": "re", "match": {"header": {"name": "x-trace", "regex": "^[0-9]{3}$"}}, "action": "block"},
                       {"name": "no-host", "match": {"header": {"name": "host", "present": false}}, "action": "block"}]}
            """#)
        #expect(blocked(s, TestRequest.make(.GET, "/", headers: [("x-env", "test")])))
        #expect(!blocked(s, TestRequest.make(.GET, "/", headers: [("x-env", "Test")])))
        #expect(!blocked(s, TestRequest.make(.GET, "/", headers: [("x-env", "test2")])))
        // A second line cannot hide a match.
        #expect(blocked(s, TestRequest.make(.GET, "/", headers: [("x-env", "prod"), ("X-ENV", "test")])))
        #expect(blocked(s, TestRequest.make(.GET, "/", headers: [("User-Agent", "x sqlmap/1.5")])))
        #expect(blocked(s, TestRequest.make(.GET, "/", headers: [("x-trace", "123")])))
        #expect(!blocked(s, TestRequest.make(.GET, "/", headers: [("x-trace", "1234")])))
        #expect(blocked(s, TestRequest.make(.GET, "/", host: nil)))
        #expect(!blocked(s, TestRequest.make(.GET, "/")))
    }

    @Test func ignoreCaseComparesLettersWithoutCase() throws {
        let s = try snapshot(#"""
            {"rules": [{"name": "ua", "match": {"header": {"name": "user-agent", "contains": "SQLMap", "ignoreCase": true}}, "action": "block"},
                       {"name": "scan", "match": {"header": {"name": "user-agent", "regex": "^nikto|nessus", "ignoreCase": true}}, "action": "block"},
                       {"name": "q", "match": {"query": {"name": "mode", "equals": "RAW", "ignoreCase": true}}, "action": "block"}]}
            """#)
        #expect(blocked(s, TestRequest.make(.GET, "/", headers: [("user-agent", "x sqlmap/1.5")])))
        #expect(blocked(s, TestRequest.make(.GET, "/", headers: [("user-agent", "SQLMAP")])))
        #expect(blocked(s, TestRequest.make(.GET, "/", headers: [("user-agent", "Nikto/2.5")])))
        #expect(blocked(s, TestRequest.make(.GET, "/", headers: [("user-agent", "x NESSUS")])))
        #expect(!blocked(s, TestRequest.make(.GET, "/", headers: [("user-agent", "curl/8")])))
        #expect(blocked(s, TestRequest.make(.GET, "/?mode=raw")))
        #expect(blocked(s, TestRequest.make(.GET, "/?mode=Raw")))
        #expect(!blocked(s, TestRequest.make(.GET, "/?mode=raw2")))
    }

    @Test func queryConditionsSeeDecodedNamesAndValues() throws {
        let s = try snapshot(#"""
            {"rules": [{"name": "debug", "match": {"query": {"name": "debug", "present": true}}, "action": "block"},
                       {"name": "union", "match": {"query": {"name": "q", "contains": "union select"}}, "action": "block"},
                       {"name": "exact", "match": {"query": {"name": "mode", "equals": "raw"}}, "action": "block"}]}
            """#)
        #expect(blocked(s, TestRequest.make(.GET, "/?debug")))
        #expect(blocked(s, TestRequest.make(.GET, "/?a=1&%64ebug=1")))
        #expect(!blocked(s, TestRequest.make(.GET, "/?debugx=1")))
        #expect(blocked(s, TestRequest.make(.GET, "/?q=1%20union%20select%202")))
        #expect(blocked(s, TestRequest.make(.GET, "/?q=ok&q=union%20select")))  // any repetition
        #expect(blocked(s, TestRequest.make(.GET, "/?mode=%72aw")))
        #expect(!blocked(s, TestRequest.make(.GET, "/?mode=raw2")))
        #expect(!blocked(s, TestRequest.make(.GET, "/")))
    }

    @Test func bodySizeFromContentLength() throws {
        let s = try snapshot(#"{"rules": [{"name": "big", "match": {"path": "/upload", "bodySizeOver": "1KB"}, "action": "block"}]}"#)
        #expect(blocked(s, TestRequest.make(.POST, "/upload", framing: .contentLength(1025))))
        #expect(!blocked(s, TestRequest.make(.POST, "/upload", framing: .contentLength(1024))))
        #expect(!blocked(s, TestRequest.make(.POST, "/other", framing: .contentLength(5000))))
    }

    @Test func aStreamedBodyGetsACutoffAtTheSizeABlockRuleStartsToMatch() throws {
        let s = try snapshot(#"""
            {"rules": [{"name": "big", "match": {"path": "/upload", "bodySizeOver": 4096}, "action": "block"},
                       {"name": "bigger", "match": {"bodySizeOver": 100000}, "action": "block"},
                       {"name": "small-not", "match": {"not": {"bodySizeOver": 10}}, "action": "count"}]}
            """#)
        let (answer, request) = run(s, TestRequest.make(.POST, "/upload", framing: .chunked))
        #expect(answer == nil)
        let cutoff = try #require(request.bodyCutoff)
        #expect(cutoff.limit == 4096)
        #expect(cutoff.finding == WAFFinding(rule: "big", action: .block))
        try expectProblem(cutoff.answer, status: 403, code: .wafFiltered, connection: .closeIfBodyUnread)
        #expect(run(s, TestRequest.make(.POST, "/other", framing: .chunked)).1.bodyCutoff?.limit == 100000)
        #expect(run(s, TestRequest.make(.POST, "/upload", framing: .contentLength(10))).1.bodyCutoff == nil)
    }

    // MARK: actions

    @Test func theFirstAllowOrBlockDecidesAndCountOnlyCounts() throws {
        let s = try snapshot(#"""
            {"ipSets": {"ops": ["10.0.0.0/8"]},
             "rules": [{"name": "watch", "match": {"path": "/login"}, "action": "count"},
                       {"name": "ops", "match": {"ipSet": "ops"}, "action": "allow"},
                       {"name": "login", "match": {"path": "/login"}, "action": "block"}]}
            """#)
        let (opsAnswer, ops) = run(s, TestRequest.make(.GET, "/login", peer: "10.1.1.1"))
        #expect(opsAnswer == nil && ops.wafFinding == WAFFinding(rule: "ops", action: .allow))
        #expect(ops.route != nil)  // allow skips the other rules, not the rest of the pipeline
        let (answer, other) = run(s, TestRequest.make(.GET, "/login", peer: "192.0.2.1"))
        #expect(answer?.errorCode == .wafFiltered && other.wafFinding == WAFFinding(rule: "login", action: .block))
        let (_, counted) = run(s, TestRequest.make(.GET, "/login", peer: "192.0.2.1", framing: .none))
        #expect(counted.wafFinding?.rule == "login")
        let (plainAnswer, plain) = run(s, TestRequest.make(.GET, "/else", peer: "192.0.2.1"))
        #expect(plainAnswer == nil && plain.wafFinding == nil)
        let rules = s.waf!.rules
        #expect(rules[0].stats.counted.load(ordering: .relaxed) == 3)
        #expect(rules[1].stats.allowed.load(ordering: .relaxed) == 1)
        #expect(rules[2].stats.blocked.load(ordering: .relaxed) == 2)
    }

    @Test func aCountRuleAloneIsTheFinding() throws {
        let s = try snapshot(#"{"rules": [{"name": "login-watch", "match": {"path": "/login", "method": "POST"}, "action": "count"}]}"#)
        let (answer, request) = run(s, TestRequest.make(.POST, "/login"))
        #expect(answer == nil && request.wafFinding == WAFFinding(rule: "login-watch", action: .count))
    }

    // MARK: rate-based rules

    @Test func aRateRuleBlocksAKeyOverItsLimitUntilTheWindowSlides() throws {
        let s = try snapshot(#"{"rules": [{"name": "flood", "rateBased": {"limit": 3, "window": "10s", "key": "ip"}, "action": "block"}]}"#)
        let results = (0..<5).map { _ in blocked(s, TestRequest.make(.GET, "/x", peer: "192.0.2.1")) }
        #expect(results == [false, false, false, true, true])
        #expect(!blocked(s, TestRequest.make(.GET, "/x", peer: "192.0.2.2")))  // another key
        clock.advance(by: .seconds(5))
        #expect(blocked(s, TestRequest.make(.GET, "/x", peer: "192.0.2.1")))
        clock.advance(by: .seconds(5) + .milliseconds(200))
        #expect(!blocked(s, TestRequest.make(.GET, "/x", peer: "192.0.2.1")))
        let stats = s.waf!.rules[0].stats
        #expect(stats.blocked.load(ordering: .relaxed) == 3 && stats.matched.load(ordering: .relaxed) == 8)
    }

    @Test func anIPv6ClientIsCountedByItsSlash64AndAMappedClientAsIPv4() throws {
        let store = MemoryRateWindowStore()
        let s = try snapshot(#"{"rules": [{"name": "ip", "rateBased": {"limit": 2, "window": "10s"}, "action": "block"}]}"#,
                             state: GatewayState(clock: clock, rateWindows: store))
        // Rotating through one /64 does not escape the limit.
        #expect(!blocked(s, TestRequest.make(.GET, "/", peer: "2001:db8:1:2::1")))
        #expect(!blocked(s, TestRequest.make(.GET, "/", peer: "2001:db8:1:2::ffff")))
        #expect(blocked(s, TestRequest.make(.GET, "/", peer: "2001:db8:1:2:aaaa::7")))
        #expect(!blocked(s, TestRequest.make(.GET, "/", peer: "2001:db8:1:3::1")))
        // A dual-stack listener's ::ffff:a.b.c.d is the same client as a.b.c.d.
        #expect(!blocked(s, TestRequest.make(.GET, "/", peer: "192.0.2.9")))
        #expect(!blocked(s, TestRequest.make(.GET, "/", peer: "::ffff:192.0.2.9")))
        #expect(blocked(s, TestRequest.make(.GET, "/", peer: "192.0.2.9")))
        let keys = store.keysNow(of: s.waf!.rules[0].rate!.counters, atOrAbove: 2, now: clock.now()).map(\.key).sorted()
        #expect(keys == ["192.0.2.9", "2001:db8:1:2::/64"])
    }

    @Test func rateRulesCountOnlyWhatTheirMatchSelectsAndKeyByHeaderPathOrAPIKey() throws {
        let s = try snapshot(#"""
            {"rules": [{"name": "logins", "match": {"path": "/login", "method": "POST"},
                        "rateBased": {"limit": 2, "window": "60s", "key": "header:X-User"}, "action": "block"},
                       {"name": "per-path", "rateBased": {"limit": 3, "window": "60s", "key": "path"}, "action": "block"},
                       {"name": "per-key", "rateBased": {"limit": 100, "window": "60s", "key": "apiKey"}, "action": "count"}]}
            """#)
        let alice = [("x-user", "alice")]
        #expect(!blocked(s, TestRequest.make(.POST, "/login", headers: alice)))
        #expect(!blocked(s, TestRequest.make(.POST, "/login", headers: alice)))
        #expect(!blocked(s, TestRequest.make(.GET, "/login", headers: alice)))  // not selected by match: but /login is now at 3 for per-path
        #expect(blocked(s, TestRequest.make(.POST, "/login", headers: [("x-user", "alice")])))
        #expect(blocked(s, TestRequest.make(.GET, "/login")))  // per-path: /login had 3
        #expect(!blocked(s, TestRequest.make(.GET, "/other")))
        // No X-User header: the login rule does not count the request at all.
        let s2 = try snapshot(#"{"rules": [{"name": "h", "rateBased": {"limit": 1, "window": "60s", "key": "header:x-user"}, "action": "block"}]}"#)
        #expect((0..<3).allSatisfy { _ in !blocked(s2, TestRequest.make(.GET, "/")) })
        #expect(s2.waf!.rules[0].stats.matched.load(ordering: .relaxed) == 0)
    }

    @Test func aCountRateRuleCountsOverTheLimitAndLetsThrough() throws {
        let s = try snapshot(#"{"rules": [{"name": "watch", "rateBased": {"limit": 2, "window": "10s"}, "action": "count"}]}"#)
        let findings = (0..<4).map { _ in run(s, TestRequest.make(.GET, "/x")) }
        #expect(findings.allSatisfy { $0.0 == nil })
        #expect(findings.map { $0.1.wafFinding?.action } == [nil, nil, .count, .count])
        #expect(s.waf!.rules[0].stats.counted.load(ordering: .relaxed) == 2)
    }

    @Test func anAPIKeyIsNeverKeptOrShownInClear() async throws {
        let store = MemoryRateWindowStore()
        let s = try snapshot(#"{"rules": [{"name": "k", "rateBased": {"limit": 1, "window": "60s", "key": "apiKey"}, "action": "block"}]}"#,
                             state: GatewayState(clock: clock, rateWindows: store))
        let secret = "pk_live_0123456789abcdefghijklmnopqrstuvwxyzWXYZ"
        _ = run(s, TestRequest.make(.GET, "/", headers: [("x-api-key", secret)]))
        #expect(blocked(s, TestRequest.make(.GET, "/", headers: [("x-api-key", secret)])))
        let keys = await store.keys(of: s.waf!.rules[0].rate!.counters, atOrAbove: 1, now: clock.now())
        #expect(keys.map(\.key) == ["…WXYZ"])
    }

    @Test func aRateRuleBeforeAMatchRuleDecidesFirst() throws {
        let s = try snapshot(#"""
            {"rules": [{"name": "flood", "rateBased": {"limit": 1, "window": "10s"}, "action": "block"},
                       {"name": "watch", "match": {"path": "/**"}, "action": "count"},
                       {"name": "ok", "match": {"path": "/**"}, "action": "allow"}]}
            """#)
        let first = run(s, TestRequest.make(.GET, "/x"))
        #expect(first.0 == nil && first.1.wafFinding == WAFFinding(rule: "ok", action: .allow))
        let second = run(s, TestRequest.make(.GET, "/x"))
        #expect(second.0?.errorCode == .wafFiltered && second.1.wafFinding == WAFFinding(rule: "flood", action: .block))
        // The count rule after the deciding rate rule never saw the second request.
        #expect(s.waf!.rules[1].stats.counted.load(ordering: .relaxed) == 1)
    }

    @Test func aReloadKeepsCountsAndTotals() throws {
        let state = self.state
        let waf = #"{"rules": [{"name": "flood", "rateBased": {"limit": 2, "window": "10s"}, "action": "block"}]}"#
        let first = try snapshot(waf, state: state)
        _ = run(first, TestRequest.make(.GET, "/x"))
        _ = run(first, TestRequest.make(.GET, "/x"))
        let second = try snapshot(waf, state: state)
        #expect(blocked(second, TestRequest.make(.GET, "/x")))
        #expect(second.waf!.rules[0].stats === first.waf!.rules[0].stats)
    }

    // MARK: a store that answers later

    @Test func aStoreThatAnswersLaterSuspendsTheRequestAndTheStageConcludesOnResume() throws {
        let store = DeferredRateStore()
        let s = try snapshot(#"""
            {"rules": [{"name": "watch", "match": {"path": "/**"}, "action": "count"},
                       {"name": "flood", "rateBased": {"limit": 1, "window": "10s"}, "action": "block"}]}
            """#, state: GatewayState(clock: clock, rateWindows: store))
        func runThroughStore(failing: Bool = false) throws -> (GatewayAnswer?, RequestContext) {
            store.failing = failing
            var request = TestRequest.make(.GET, "/x")
            let (operation, resumeAt) = try #require(s.pipeline.run(&request).suspend)
            #expect(s.pipeline.stages[resumeAt].name == "waf")
            let box = ResultBox()
            operation.start { box.set($0) }
            guard let result = box.result else {
                Issue.record("the operation did not complete")
                return (nil, request)
            }
            request.operationResult = result
            switch s.pipeline.run(&request, from: resumeAt) {
            case .respond(let answer): return (answer, request)
            case .integrate: return (nil, request)
            default:
                Issue.record("the stage suspended twice")
                return (nil, request)
            }
        }
        let first = try runThroughStore()
        #expect(first.0 == nil && first.1.route != nil && first.1.wafFinding == WAFFinding(rule: "watch", action: .count))
        #expect(first.1.operationResult == nil)  // consumed by the stage
        let second = try runThroughStore()
        #expect(second.0?.errorCode == .wafFiltered && second.1.wafFinding == WAFFinding(rule: "flood", action: .block))
        // A store that fails decides nothing: the request goes on (issue 17 adds onUnavailable).
        let failed = try runThroughStore(failing: true)
        #expect(failed.0 == nil && failed.1.wafFinding == WAFFinding(rule: "watch", action: .count))
        #expect(s.waf!.rules[0].stats.counted.load(ordering: .relaxed) == 3)
    }
}

/// A rate store with I/O, simulated: every `record` is an operation whose result is the memory store's answer.
final class DeferredRateStore: RateWindowStore, @unchecked Sendable {
    // @unchecked: `failing` is set by the test between operations, on the test's own thread only.
    let memory = MemoryRateWindowStore()
    var failing = false

    func window(for id: RateRuleID, maxTrackedKeys: Int) -> RateWindowHandle {
        memory.window(for: id, maxTrackedKeys: maxTrackedKeys)
    }

    func record(_ hits: [RateHit], now: EpochNanoseconds) -> StoreReply<RateRecord> {
        .pending(Operation(store: memory, hits: hits, now: now, failing: failing))
    }

    func keys(of window: RateWindowHandle, atOrAbove threshold: Int, now: EpochNanoseconds) async -> [RateKeyStatus] {
        await memory.keys(of: window, atOrAbove: threshold, now: now)
    }

    final class Operation: PendingOperation, Sendable {
        let store: MemoryRateWindowStore
        let hits: [RateHit]
        let now: EpochNanoseconds
        let failing: Bool
        init(store: MemoryRateWindowStore, hits: [RateHit], now: EpochNanoseconds, failing: Bool) {
            self.store = store
            self.hits = hits
            self.now = now
            self.failing = failing
        }
        func start(_ completion: @escaping @Sendable (OperationResult) -> Void) {
            completion(failing ? .failure(FakeOperationError()) : .success(store.recordNow(hits, now: now)))
        }
        func cancel() {}
    }
}

@Suite struct RuleSetTests {
    @Test func indicesComeBackInOrderBelowAndAbove64() {
        var set = RuleSet()
        #expect(set.isEmpty)
        for index in [70, 3, 0, 63, 64, 5] { set.insert(index) }
        var seen: [Int] = []
        set.forEach { seen.append($0) }
        #expect(seen == [0, 3, 5, 63, 70, 64])
        #expect(!set.isEmpty)
    }
}
