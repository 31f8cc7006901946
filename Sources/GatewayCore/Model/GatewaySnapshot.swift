/// The compiled, immutable configuration every request reads exactly once.
///
/// Built by `GatewayConfig`'s compiler; swapped atomically on reload so in-flight requests
/// finish on the snapshot they started with.
public final class GatewaySnapshot: Sendable {
    public let settings: GatewaySettings
    public let apis: [CompiledAPI]
    public let hostRouter: HostRouter
    /// Absolute path of the config file this snapshot came from (for reloads and diagnostics).
    public let sourcePath: String
    /// Configured custom domain names (lowercased, in file order), for summaries and the admin API.
    public let domainNames: [String]
    /// The compiled `waf` section, if any.
    public let waf: WAFPolicy?
    /// Throttles, usage plans and API keys, with their counters.
    public let limits: LimitPolicy
    /// Where routes with `cache` keep responses; nil when no route caches.
    public let responseCache: MemoryCacheStore?
    /// What outlives this configuration (clock, counters); a reload compiles against the same state.
    public let state: GatewayState
    /// The request path's stages, compiled from this snapshot's configuration.
    public let pipeline: RequestPipeline
    /// `functions`, indexed by the routes' `FunctionIntegration.functionIndex`.
    public let functions: [FunctionDefinition]
    /// The `queues` section, in file order.
    public let queues: [QueueDefinition]

    public init(settings: GatewaySettings, apis: [CompiledAPI], hostRouter: HostRouter, sourcePath: String,
                domainNames: [String] = [], waf: WAFPolicy? = nil, limits: LimitPolicy = .none,
                state: GatewayState = GatewayState(), functions: [FunctionDefinition] = [],
                queues: [QueueDefinition] = []) {
        self.settings = settings
        self.functions = functions
        self.queues = queues
        self.apis = apis
        self.hostRouter = hostRouter
        self.sourcePath = sourcePath
        self.domainNames = domainNames
        self.waf = waf
        self.limits = limits
        self.state = state
        let caches = apis.contains { $0.routes.contains { $0.cache != nil } }
        let responseCache = caches ? state.responseCache(for: settings.cache) : nil
        self.responseCache = responseCache
        self.pipeline = RequestPipeline(settings: settings, apis: apis, hostRouter: hostRouter, waf: waf,
                                        limits: limits, responseCache: responseCache, state: state)
    }

    private init(_ other: GatewaySnapshot, pipeline: RequestPipeline) {
        self.settings = other.settings
        self.apis = other.apis
        self.hostRouter = other.hostRouter
        self.sourcePath = other.sourcePath
        self.domainNames = other.domainNames
        self.waf = other.waf
        self.limits = other.limits
        self.responseCache = other.responseCache
        self.state = other.state
        self.functions = other.functions
        self.queues = other.queues
        self.pipeline = pipeline
    }

    /// The same configuration run through another stage list: for tests of verdicts no configured stage gives yet.
    public func replacingPipeline(_ pipeline: RequestPipeline) -> GatewaySnapshot {
        GatewaySnapshot(self, pipeline: pipeline)
    }
}

/// Top-level settings: listeners, limits, trusted proxies, access log.
public struct GatewaySettings: Sendable, Equatable {
    public var listen: ListenSettings
    public var admin: AdminSettings
    public var trustedProxies: CIDRSet
    public var limits: Limits
    public var accessLog: AccessLogSettings?
    /// Present exactly when `listen.https` is.
    public var tls: TLSSettings?
    /// Where counters persist (contract: `state`).
    public var state = StateSettings(path: nil)
    /// The response cache's size (contract: `cache`).
    public var cache = CacheSettings()

    public init(listen: ListenSettings, admin: AdminSettings, trustedProxies: CIDRSet, limits: Limits,
                accessLog: AccessLogSettings?, tls: TLSSettings? = nil) {
        self.listen = listen
        self.admin = admin
        self.trustedProxies = trustedProxies
        self.limits = limits
        self.accessLog = accessLog
        self.tls = tls
    }
}

/// A `host:port` a listener binds to; host is an IP literal or a name, port 0 means "any free port".
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

public struct ListenSettings: Sendable, Equatable {
    public var http: ListenAddress?
    public var https: ListenAddress?
    public init(http: ListenAddress?, https: ListenAddress? = nil) {
        self.http = http
        self.https = https
    }
}

public struct AdminSettings: Sendable, Equatable {
    public var listen: ListenAddress
    /// Bearer token every admin call must present; nil means the admin API is open (loopback by default).
    public var token: String?
    public init(listen: ListenAddress, token: String?) {
        self.listen = listen
        self.token = token
    }
}

/// Protocol limits enforced by the edge (contract: `limits`).
public struct Limits: Sendable, Equatable {
    public var maxBodySize: Int
    public var maxHeaderSize: Int
    public var headerTimeout: Duration
    public var idleTimeout: Duration

    public static let defaults = Limits(maxBodySize: 10 * 1024 * 1024, maxHeaderSize: 16 * 1024,
                                        headerTimeout: .seconds(10), idleTimeout: .seconds(60))

    public init(maxBodySize: Int, maxHeaderSize: Int, headerTimeout: Duration, idleTimeout: Duration) {
        self.maxBodySize = maxBodySize
        self.maxHeaderSize = maxHeaderSize
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
    }
}

public struct AccessLogSettings: Sendable, Equatable {
    /// "-" for stdout, otherwise an absolute file path.
    public var path: String
    public init(path: String) { self.path = path }
}

/// `state`: with `path`, throttle and quota counters are written under that directory and survive restarts;
/// with `redis`, the fleet's instances share them through one Redis server.
public struct StateSettings: Sendable, Equatable {
    public var path: String?
    /// nil: the memory store.
    public var redis: RedisStateSettings?

    public init(path: String?, redis: RedisStateSettings? = nil) {
        self.path = path
        self.redis = redis
    }
}

/// `state.store = "redis"`: where the fleet's counters live and what an instance does while it cannot reach them.
public struct RedisStateSettings: Sendable, Equatable {
    /// What limits do while Redis cannot answer (`onUnavailable`).
    public enum UnavailablePolicy: String, Sendable, Equatable, CaseIterable {
        /// Each instance enforces its share (limit ÷ live instances) in memory until Redis is back.
        case local
        /// Admit every request (fail open).
        case allow
        /// Refuse every metered request with 429 (fail closed).
        case deny
    }

    /// `redis://[[user]:password@]host[:port][/db]`, checked when the config compiles.
    public var url: String
    public var onUnavailable: UnavailablePolicy
    /// The longest a request waits on Redis before its limits are decided as `onUnavailable` says.
    public var budget: Duration
    /// Prefixes every key, so several fleets (or a fleet and other data) can share one server.
    public var keyPrefix: String

    public static let defaultBudget = Duration.milliseconds(50)

    public init(url: String, onUnavailable: UnavailablePolicy = .local, budget: Duration = Self.defaultBudget,
                keyPrefix: String = "portcullis:") {
        self.url = url
        self.onUnavailable = onUnavailable
        self.budget = budget
        self.keyPrefix = keyPrefix
    }
}
