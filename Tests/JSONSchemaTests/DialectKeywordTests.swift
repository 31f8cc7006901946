import Testing
import JSONSchema

/// Runs `DialectKeywordCases` (our own cases for draft-06, 2019-09 and 2020-12 keywords) with the suite's remotes.
@Suite struct DialectKeywordTests {
    static let remotes: [ConformanceSuite.TestFile] = {
        let root = ConformanceSuiteTests.suiteRoot.appendingPathComponent("remotes")
        return ConformanceSuiteTests.files(under: root, relativeTo: root)
    }()

    @Test(.enabled(if: ConformanceSuiteTests.remotesPresent,
                   "../shared/conformance/json-schema-test-suite/remotes is absent (the 2020-12 cases $ref its meta-schemas)"),
          arguments: [
        ("draft2020-12", Dialect.draft2020_12, DialectKeywordCases.draft2020_12),
        ("draft2019-09", Dialect.draft2019_09, DialectKeywordCases.draft2019_09),
        ("draft6", Dialect.draft6, DialectKeywordCases.draft6),
    ])
    func casesPass(name: String, dialect: Dialect, cases: String) {
        let report = ConformanceSuite.run(dialect: dialect, files: [.init(path: name + ".json", contents: Array(cases.utf8))],
                                          remotes: Self.remotes)
        #expect(report.total > 0)
        #expect(report.failures.isEmpty, "\(report.failures)")
    }
}
