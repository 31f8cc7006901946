/// One compiled WAF rule (contract: `waf.rules[]`). A class: the stage walks the rules for every request, and
/// reading one is then a single reference rather than a copy of every field.
public final class WAFRule: Sendable {
    public enum Action: String, Sendable {
        case allow, block, count
    }

    public let name: String
    /// Nil on a rate-based rule without `match`: it counts every request.
    public let match: WAFCondition?
    public let rate: RateRule?
    public let action: Action
    public let stats: WAFRuleStats
    /// `match` compiled for evaluation (always true when the rule has none).
    let matcher: WAFMatcher
    /// The `bodySizeOver` thresholds in `match`, sorted: where a streamed body can change the rule's answer.
    let bodySizeThresholds: [Int]

    public init(name: String, match: WAFCondition?, rate: RateRule?, action: Action, stats: WAFRuleStats) {
        self.name = name
        self.match = match
        self.rate = rate
        self.action = action
        self.stats = stats
        matcher = match.map(WAFMatcher.compile) ?? AlwaysMatcher()
        bodySizeThresholds = match?.bodySizeThresholds ?? []
    }
}

/// The rate-based part of a rule: at most `limit` requests per key within any `window`. A class, like the rule.
public final class RateRule: Sendable {
    public enum Key: Sendable, Equatable, CustomStringConvertible {
        case ip
        /// The `x-api-key` header, digested: never kept or shown in clear.
        case apiKey
        /// A request header (lowercased name); all its lines, joined as HTTP joins them.
        case header(String)
        /// The normalised path, without the query.
        case path

        public var description: String {
            switch self {
            case .ip: "ip"
            case .apiKey: "apiKey"
            case .header(let name): "header:" + name
            case .path: "path"
            }
        }
    }

    public let limit: Int
    public let window: Duration
    public let key: Key
    public let counters: RateWindowHandle

    public init(limit: Int, window: Duration, key: Key, counters: RateWindowHandle) {
        self.limit = limit
        self.window = window
        self.key = key
        self.counters = counters
    }

    /// The request's key; nil when it has none (no such header): such a request is not counted by this rule.
    func key(of request: RequestContext, path: WAFPath) -> (key: RateKey, label: String?)? {
        switch key {
        case .ip:
            return (RateKey.of(client: request.clientIP), nil)
        case .path:
            return RateKey.of(text: path.normal, secret: false)
        case .apiKey:
            guard let value = request.head.headers.first(name: "x-api-key") else { return nil }
            return RateKey.of(text: Substring(value), secret: true)
        case .header(let name):
            let lines = request.head.headers[name]
            guard !lines.isEmpty else { return nil }
            return RateKey.of(text: Substring(lines.count == 1 ? lines[0] : lines.joined(separator: ", ")), secret: false)
        }
    }
}

/// The compiled `waf` section: rules in order, the block status, and where rate rules count.
public struct WAFPolicy: Sendable {
    public let rules: [WAFRule]
    public let blockStatus: Int
    public let maxTrackedKeys: Int

    public static let defaultMaxTrackedKeys = 100_000

    public init(rules: [WAFRule], blockStatus: Int, maxTrackedKeys: Int = Self.defaultMaxTrackedKeys) {
        self.rules = rules
        self.blockStatus = blockStatus
        self.maxTrackedKeys = maxTrackedKeys
    }
}
