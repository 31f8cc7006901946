import Foundation
import Testing
import JSONSchema

/// The official JSON-Schema-Test-Suite from `../shared` (never copied into the project): draft-04 and draft-07
/// required tests must pass at ≥ 99 %, and every failure must be one listed here by name.
@Suite struct ConformanceSuiteTests {
    /// `../shared/conformance/json-schema-test-suite` beside the checkout; `PORTCULLIS_SCHEMA_SUITE` names another
    /// copy (or a missing path, to check that every test needing it skips visibly on a clone without `../shared`).
    static let suiteRoot: URL = {
        if let path = ProcessInfo.processInfo.environment["PORTCULLIS_SCHEMA_SUITE"] {
            return URL(fileURLWithPath: path).standardizedFileURL
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("../shared/conformance/json-schema-test-suite").standardizedFileURL
    }()

    static var suitePresent: Bool { FileManager.default.fileExists(atPath: suiteRoot.appendingPathComponent("tests").path) }
    /// The suite's `remotes/` (schemas served as http://localhost:1234/...), which our own dialect cases use too.
    static var remotesPresent: Bool { FileManager.default.fileExists(atPath: suiteRoot.appendingPathComponent("remotes").path) }

    /// Known failures of required tests, by `file / group / test`.
    static let knownRequiredFailures: [String: Set<String>] = [
        "draft4": [],
        "draft7": [],
    ]

    static func files(under folder: URL, relativeTo root: URL) -> [ConformanceSuite.TestFile] {
        guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return [] }
        var files: [ConformanceSuite.TestFile] = []
        for case let url as URL in enumerator where url.pathExtension == "json" {
            let path = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
            if let data = FileManager.default.contents(atPath: url.path) { files.append(.init(path: path, contents: Array(data))) }
        }
        return files
    }

    static func report(_ folder: String, dialect: Dialect, optional: Bool) -> ConformanceSuite.Report {
        let root = suiteRoot.appendingPathComponent("tests/\(folder)")
        let all = files(under: root, relativeTo: root)
        let selected = all.filter { $0.path.hasPrefix("optional/") == optional }
        let remotesRoot = suiteRoot.appendingPathComponent("remotes")
        return ConformanceSuite.run(dialect: dialect, files: selected, remotes: files(under: remotesRoot, relativeTo: remotesRoot))
    }

    @Test(.enabled(if: suitePresent, "../shared/conformance/json-schema-test-suite is absent"),
          arguments: [("draft4", Dialect.draft4, 618), ("draft7", Dialect.draft7, 927)])
    func requiredTests(folder: String, dialect: Dialect, expectedTotal: Int) {
        let report = Self.report(folder, dialect: dialect, optional: false)
        print("\(folder) required: \(report.passed)/\(report.total) passed")
        for failure in report.failures { print("  FAIL \(failure)") }
        #expect(report.total == expectedTotal)
        #expect(Double(report.passed) >= 0.99 * Double(expectedTotal))
        let known = Self.knownRequiredFailures[folder] ?? []
        let unexpected = Set(report.failures).subtracting(known)
        #expect(unexpected.isEmpty, "unexpected failures: \(unexpected.sorted())")
    }

    @Test(.enabled(if: suitePresent, "../shared/conformance/json-schema-test-suite is absent"),
          arguments: [("draft4", Dialect.draft4), ("draft7", Dialect.draft7)])
    func optionalTests(folder: String, dialect: Dialect) {
        let report = Self.report(folder, dialect: dialect, optional: true)
        print("\(folder) optional: \(report.passed)/\(report.total) passed")
        for failure in report.failures { print("  OPTIONAL FAIL \(failure)") }
        #expect(report.total > 0)
    }
}
