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
}
