import Foundation
import GatewayConfig
import Testing

/// The configs in the repository are part of the product: README's first command serves `gateway.json`.
@Suite struct ShippedConfigTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test(arguments: ["gateway.json", "Benchmarks/bench.json"])
    func compilesWithoutDiagnostics(_ relativePath: String) throws {
        let result = ConfigLoader.load(path: Self.root + "/" + relativePath, environment: [:])
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let snapshot = try #require(result.snapshot)
        #expect(!snapshot.apis.isEmpty)
    }

    /// The examples the README walks through compile too (their ports and Redis come from the environment).
    @Test(arguments: ["examples/event-driven/gateway.json", "examples/event-driven/fleet.json", "examples/fleet/gateway.json"])
    func examplesCompileWithoutDiagnostics(_ relativePath: String) throws {
        let environment = ["PORT": "8083", "ADMIN_PORT": "9913", "REDIS_URL": "redis://127.0.0.1:6379"]
        let result = ConfigLoader.load(path: Self.root + "/" + relativePath, environment: environment)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(try #require(result.snapshot).apis.isEmpty == false)
    }
}
