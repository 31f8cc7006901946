// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Portcullis",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "portcullis", targets: ["portcullis"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        // Tests only: an independent HTTPS client that verifies chains and host names (never in the request path).
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // Pure core: the request pipeline and its stages, routing, client identity, problem responses. No sockets:
        // NIO appears only for its value types (`ByteBuffer`, `HTTPRequestHead`), which the edge hands in as decoded,
        // so a stage sees the request without a per-request conversion.
        .target(name: "GatewayCore", dependencies: [
            "JSONSchema",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            // SHA-256 of presented API keys: the key table holds digests only.
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // JSON Schema compiler and validator (drafts 4, 6, 7, 2019-09, 2020-12). Pure Swift, no dependency on
        // the rest of the project: it could ship on its own.
        .target(name: "JSONSchema"),
        // Strict gateway.json decoding and compilation into an immutable snapshot. Pure.
        .target(name: "GatewayConfig", dependencies: [
            "GatewayCore", "JSONSchema",
            // `state.url` is parsed when the config compiles, by the client that will use it.
            "Redis",
            // Certificate files are inspected when the config compiles (SANs, expiry, key match) and the dev CA
            // issues certificates: pure-Swift X.509, no TLS stack.
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ]),
        // Upstream HTTP forwarding over event-loop-local connection pools.
        .target(name: "GatewayIntegrations", dependencies: [
            "GatewayCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            // https:// upstreams (and AWS Lambda's Invoke API): verified TLS on the pooled connections.
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // The edge: listeners, the per-connection handler, admin API, metrics, access log, reload.
        .target(name: "GatewayServer", dependencies: [
            "GatewayCore", "GatewayConfig", "GatewayIntegrations", "FleetState",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            .product(name: "NIOHPACK", package: "swift-nio-http2"),
            // SHA-256 for the admin token comparison (fixed-length digests, so lengths leak nothing).
            .product(name: "Crypto", package: "swift-crypto"),
            // Throttle and quota counters on disk (`state.path`): SQLite, bundled, nothing to install.
            .product(name: "SQLiteNIO", package: "sqlite-nio"),
        ]),
        // `portcullis loadtest`: an open-loop HTTP/1.1 and HTTPS load generator that measures rate limits.
        // RESP and a pipelined Redis client, for fleet state shared through Redis.
        .target(name: "Redis", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Fleet mode: the limit and rate-window stores on Redis, the fleet's heartbeat and cache invalidation.
        .target(name: "FleetState", dependencies: [
            "GatewayCore", "Redis",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "LoadTest", dependencies: [
            "GatewayCore", "GatewayConfig",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        .executableTarget(name: "portcullis", dependencies: [
            "GatewayServer", "GatewayConfig", "GatewayCore", "JSONSchema", "LoadTest",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Tests only: the store conformance suites and a real redis-server on a free port, shared by the test targets.
        .target(name: "StoreTestSupport", dependencies: [
            "GatewayCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], path: "Tests/StoreTestSupport"),
        .testTarget(name: "GatewayCoreTests", dependencies: [
            "GatewayCore", "GatewayConfig", "JSONSchema", "StoreTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .testTarget(name: "JSONSchemaTests", dependencies: ["JSONSchema"]),
        .testTarget(name: "GatewayConfigTests", dependencies: [
            "GatewayConfig", "GatewayCore", "JSONSchema",
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "GatewayIntegrationsTests", dependencies: [
            "GatewayIntegrations", "GatewayCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        .testTarget(name: "GatewayServerTests", dependencies: [
            "GatewayServer", "GatewayConfig", "GatewayCore", "GatewayIntegrations", "LoadTest", "StoreTestSupport",
            "FleetState",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            .product(name: "NIOHPACK", package: "swift-nio-http2"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "LoadTestTests", dependencies: ["LoadTest", "GatewayCore"]),
        .testTarget(name: "RedisTests", dependencies: [
            "Redis", "StoreTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "FleetStateTests", dependencies: [
            "FleetState", "GatewayCore", "Redis", "StoreTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
