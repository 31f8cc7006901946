/// The web application firewall: the configured rules in order, before routing and before any body is read.
///
/// Match rules are decided here; rate-based rules that match are collected and counted in one call to the rate
/// store (a shared store answers later: the stage suspends and concludes when the answer is back). The first rule
/// whose `allow` or `block` applies decides; `count` rules only count. A body of unknown length (chunked, or h2
/// without Content-Length) is evaluated at size 0, and the smallest size at which a `block` rule would match it
/// becomes a cut-off the edge enforces as the body streams.
public struct WAFStage: RequestStage {
    let policy: WAFPolicy
    let store: any RateWindowStore
    let clock: any GatewayClock

    /// How many rules are rate-based: a request's hits are allocated once, at that size.
    let rateRuleCount: Int
    /// The rules' matchers in rule order, called without retaining each rule and matcher for every request.
    let matchers: MatcherList

    public init(policy: WAFPolicy, store: any RateWindowStore, clock: any GatewayClock) {
        self.policy = policy
        rateRuleCount = policy.rules.count { $0.rate != nil }
        matchers = MatcherList(policy.rules.map(\.matcher))
        self.store = store
        self.clock = clock
    }

    public var name: String { "waf" }

    public func evaluate(_ request: inout RequestContext) -> StageVerdict {
        if let progress = request.wafProgress {
            request.wafProgress = nil
            let result = request.operationResult
            request.operationResult = nil
            // A store that failed decides nothing: match rules still apply (the Redis store applies `onUnavailable`
            // itself and always answers).
            let record = (try? result?.get()) as? RateRecord ?? RateRecord()
            return conclude(&request, progress.walk, record)
        }
        let walk = self.walk(request)
        guard !walk.hits.isEmpty else { return conclude(&request, walk, RateRecord()) }
        switch store.record(walk.hits, now: clock.now()) {
        case .ready(let record):
            return conclude(&request, walk, record)
        case .pending(let operation):
            request.wafProgress = WAFProgress(walk: walk)
            return .suspend(operation)
        }
    }

    /// What the rules say before any rate store is asked.
    struct Walk {
        /// Rate rules that matched, in rule order; a hit's `tag` is its rule's index.
        var hits: [RateHit] = []
        /// Match rules with `count` that matched, in order.
        var countRules = RuleSet()
        /// The first match rule whose `allow`/`block` applies (every collected rule comes before it).
        var decidingRule: Int?
        /// For a body of unknown length: the smallest size over which a `block` rule matches, and that rule.
        var cutoff: (size: Int, rule: Int)?
    }

    func walk(_ request: RequestContext) -> Walk {
        var walk = Walk()
        let unknownLength = request.framing == .chunked
        let bodySize: Int
        if case .contentLength(let length) = request.framing { bodySize = length } else { bodySize = 0 }
        let path = WAFPath(request.path)
        let rules = policy.rules
        for index in rules.indices {
            if !matchers.matches(index, request, path, bodySize) {
                // Most requests match most rules' conditions not at all: the rule itself is read only from here on.
                guard unknownLength else { continue }
                let rule = rules[index]
                if rule.action == .block, rule.rate == nil, !rule.bodySizeThresholds.isEmpty,
                   let size = Self.smallestMatchingSize(rule.matcher, rule.bodySizeThresholds, request, path),
                   size < walk.cutoff?.size ?? .max {
                    walk.cutoff = (size, index)
                }
                continue
            }
            let rule = rules[index]
            if let rate = rule.rate {
                guard let (key, label) = rate.key(of: request, path: path) else { continue }
                if walk.hits.isEmpty { walk.hits.reserveCapacity(rateRuleCount) }
                walk.hits.append(RateHit(window: rate.counters, key: key, label: label, limit: rate.limit,
                                         countsRefused: rule.action != .block, decides: rule.action != .count,
                                         tag: index))
                continue
            }
            if rule.action == .count {
                walk.countRules.insert(index)
                continue
            }
            walk.decidingRule = index
            break
        }
        return walk
    }

    /// The largest body size at which `match` still fails is one of its thresholds: the body matches once it is
    /// one byte over the first threshold at which the rule starts to match.
    static func smallestMatchingSize(_ matcher: WAFMatcher, _ thresholds: [Int], _ request: RequestContext,
                                     _ path: WAFPath) -> Int? {
        for threshold in thresholds where matcher.matches(request, path, threshold + 1) { return threshold }
        return nil
    }

    func conclude(_ request: inout RequestContext, _ walk: Walk, _ record: RateRecord) -> StageVerdict {
        let rules = policy.rules
        let rateDecider = record.decidingHit.map { walk.hits[$0].tag }
        // Rate rules were collected before the deciding match rule, so a deciding rate rule comes first.
        let decider = rateDecider ?? walk.decidingRule
        var firstCounted: Int?
        for (hit, rateHit) in walk.hits.enumerated() where decider.map({ rateHit.tag <= $0 }) ?? true {
            let index = rateHit.tag
            rules[index].stats.recordMatch()
            if rules[index].action == .count, record.isOverLimit(hit) {
                rules[index].stats.record(.count)
                firstCounted = min(firstCounted ?? index, index)
            }
        }
        walk.countRules.forEach { index in
            guard decider.map({ index < $0 }) ?? true else { return }
            rules[index].stats.recordMatch()
            rules[index].stats.record(.count)
            firstCounted = min(firstCounted ?? index, index)
        }
        if let decider {
            let rule = rules[decider]
            if rateDecider == nil { rule.stats.recordMatch() }
            rule.stats.record(rule.action)
            request.wafFinding = WAFFinding(rule: rule.name, action: rule.action)
            if rule.action == .block { return .respond(blockAnswer(request.requestId)) }
        } else if let firstCounted {
            request.wafFinding = WAFFinding(rule: rules[firstCounted].name, action: .count)
        }
        if let cutoff = walk.cutoff, decider.map({ cutoff.rule < $0 }) ?? true {
            let rule = rules[cutoff.rule]
            request.bodyCutoff = BodyCutoff(limit: cutoff.size, answer: blockAnswer(request.requestId),
                                            finding: WAFFinding(rule: rule.name, action: .block), stats: rule.stats)
        }
        return .next
    }

    /// The rule is not named to the client: it would tell an attacker which rule to work around.
    func blockAnswer(_ requestId: String) -> GatewayAnswer {
        .problem(.wafFiltered, "the request was blocked by the gateway's firewall rules", requestId: requestId,
                 connection: .closeIfBodyUnread, status: policy.blockStatus)
    }
}

/// Rule indices: a bit mask for the first 64 rules (no allocation per request), then a list beyond, in insertion order.
struct RuleSet {
    private var low: UInt64 = 0
    private var high: [Int] = []

    mutating func insert(_ index: Int) {
        if index < 64 { low |= 1 << UInt64(index) } else { high.append(index) }
    }

    func forEach(_ body: (Int) -> Void) {
        var bits = low
        while bits != 0 {
            body(bits.trailingZeroBitCount)
            bits &= bits - 1
        }
        high.forEach(body)
    }

    var isEmpty: Bool { low == 0 && high.isEmpty }
}

/// Which WAF rule decided or counted the request: the access log's `waf` field.
public struct WAFFinding: Sendable, Equatable {
    public let rule: String
    public let action: WAFRule.Action

    public init(rule: String, action: WAFRule.Action) {
        self.rule = rule
        self.action = action
    }
}

/// A limit on a streamed body set by a `block` rule with `bodySizeOver`: past `limit` bytes the edge stops reading,
/// answers `answer` if nothing was sent yet, and closes the connection.
public final class BodyCutoff: Sendable {
    public let limit: Int
    public let answer: GatewayAnswer
    public let finding: WAFFinding
    let stats: WAFRuleStats

    init(limit: Int, answer: GatewayAnswer, finding: WAFFinding, stats: WAFRuleStats) {
        self.limit = limit
        self.answer = answer
        self.finding = finding
        self.stats = stats
    }

    /// The edge cut the body off: the rule blocked a request.
    public func triggered() {
        stats.recordMatch()
        stats.record(.block)
    }
}

/// The WAF's walk, kept while a shared rate store answers.
final class WAFProgress {
    let walk: WAFStage.Walk
    init(walk: WAFStage.Walk) { self.walk = walk }
}
