/// One API from `apis`, with its routes compiled into a matcher.
public struct CompiledAPI: Sendable {
    public let name: String
    /// Normalised base path for the default endpoint: "/" or "/seg[/seg...]" without a trailing slash.
    public let basePath: String
    public let routes: [CompiledRoute]
    public let routeTable: RouteTable
    /// Every request to the API, whichever route (contract: API `throttle`).
    public let throttle: Throttle?

    public init(name: String, basePath: String, routes: [CompiledRoute], routeTable: RouteTable,
                throttle: Throttle? = nil) {
        self.name = name
        self.basePath = basePath
        self.routes = routes
        self.routeTable = routeTable
        self.throttle = throttle
    }
}

/// One route: its key, what it forwards to, its end-to-end timeout and its request validation.
/// A class: the request context holds the matched route, and a reference costs one retain where a copy of the
/// struct cost one per field.
public final class CompiledRoute: Sendable {
    public let key: RouteKey
    /// The route key as written canonically ("GET /orders/{id}", "$default"); used in logs and metrics.
    public let keyText: String
    public let integration: Integration
    public let timeout: Duration
    /// Parameter and body checks run before the integration (contract: `validate`); nil when the route has none.
    public let validation: RouteValidation?
    /// Requests need an enabled API key whose plan covers the API (contract: `apiKeyRequired`).
    public let apiKeyRequired: Bool
    /// Every request to the route, per route and not per path (contract: route `throttle`).
    public let throttle: Throttle?
    /// GET responses kept for `ttl` (contract: route `cache`); nil when the route caches nothing.
    public let cache: RouteCachePolicy?
    /// The request header (lowercased) whose value makes a 202 route's repeats answer the first request's message
    /// id without enqueuing (contract: `idempotencyKey`); nil when the route has none.
    public let idempotencyHeader: String?

    public init(key: RouteKey, integration: Integration, timeout: Duration, validation: RouteValidation? = nil,
                apiKeyRequired: Bool = false, throttle: Throttle? = nil, cache: RouteCachePolicy? = nil,
                idempotencyHeader: String? = nil) {
        self.idempotencyHeader = idempotencyHeader
        self.key = key
        self.keyText = key.description
        self.integration = integration
        self.timeout = timeout
        self.validation = validation
        self.apiKeyRequired = apiKeyRequired
        self.throttle = throttle
        self.cache = cache
    }
}

public enum Integration: Sendable {
    case http(HTTPIntegration)
    case mock(MockIntegration)
    case function(FunctionIntegration)
    case queue(QueueIntegration)
}

/// Forward to an HTTP upstream (contract: integration type `http`).
public struct HTTPIntegration: Sendable {
    /// One target for `url`, several for `targets` (round-robin, skipping refused connects).
    public let targets: [UpstreamTarget]
    /// When set, replaces the request path (after base-path removal) with this template.
    public let pathTemplate: PathTemplate?

    public init(targets: [UpstreamTarget], pathTemplate: PathTemplate?) {
        self.targets = targets
        self.pathTemplate = pathTemplate
    }
}

/// An upstream origin plus the base path that request paths are appended to.
/// A class: a proxied request hands its target around several times (pool lookup, connect, head), and a reference is
/// one retain where the struct's strings and TLS settings were copied through generic value witnesses.
public final class UpstreamTarget: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: Int
    /// "" or "/seg[/seg...]" without a trailing slash.
    public let basePath: String
    /// Reached over TLS (an `https://` URL): the certificate is verified for `host`.
    public let tls: UpstreamTLS?
    /// The `Host` header value sent upstream: worked out once, since every forwarded request writes it.
    public let authority: String

    public init(host: String, port: Int, basePath: String, tls: UpstreamTLS? = nil) {
        self.host = host
        self.port = port
        self.basePath = basePath
        self.tls = tls
        let bracketed = host.contains(":") ? "[\(host)]" : host
        self.authority = port == (tls == nil ? 80 : 443) ? bracketed : "\(bracketed):\(port)"
    }

    public static func == (a: UpstreamTarget, b: UpstreamTarget) -> Bool {
        a === b || (a.port == b.port && a.host == b.host && a.basePath == b.basePath && a.tls == b.tls)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(host)
        hasher.combine(port)
        hasher.combine(basePath)
        hasher.combine(tls)
    }

    public var description: String {
        "\(tls == nil ? "http" : "https")://\(authority)\(basePath)"
    }

    /// The scheme's own port, left out of `Host`.
    public var defaultPort: Int { tls == nil ? 80 : 443 }
}

/// How an `https://` upstream is trusted: the system's trust store, or only the CAs in `caFile` (PEM).
public struct UpstreamTLS: Sendable, Hashable {
    public let caFile: String?

    public init(caFile: String? = nil) {
        self.caFile = caFile
    }
}

/// A path template such as "/internal/orders/{id}" or "/files/{proxy}".
public struct PathTemplate: Sendable, Equatable {
    public enum Part: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }
    public let parts: [Part]
    public init(parts: [Part]) { self.parts = parts }

    /// Substitutes captured path parameters (raw, still percent-encoded); a missing one renders empty.
    public func render(_ parameters: PathParameters) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .literal(let text): out += text
            case .parameter(let name): out += parameters[name].map(String.init) ?? ""
            }
        }
        return out
    }
}

/// A fixed response (contract: integration type `mock`).
public struct MockIntegration: Sendable {
    public let status: Int
    /// Headers as configured; `content-type` is included when the body was JSON and none was configured.
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
