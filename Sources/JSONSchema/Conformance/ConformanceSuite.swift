/// Runs files in the official JSON-Schema-Test-Suite format (groups of schema + tests with expected verdicts).
/// The caller reads the files, so this stays free of filesystem access.
public enum ConformanceSuite {
    /// One suite file: its path relative to the dialect folder (e.g. `ref.json`, `optional/format/email.json`).
    public struct TestFile: Sendable {
        public let path: String
        public let contents: [UInt8]
        public init(path: String, contents: [UInt8]) {
            self.path = path
            self.contents = contents
        }
    }

    /// Pass/fail counts for one dialect folder; failures are named `file / group / test`.
    public struct Report: Sendable {
        public var passed = 0
        public var failed = 0
        public var total: Int { passed + failed }
        public var failures: [String] = []
    }

    /// A compiler with the suite's `remotes/` registered under `http://localhost:1234/`.
    public static func compiler(dialect: Dialect, remotes: [TestFile], formatAssertion: Bool = false) -> SchemaCompiler {
        var compiler = SchemaCompiler(defaultDialect: dialect, formatAssertion: formatAssertion)
        for remote in remotes {
            guard let document = try? JSONInstance.parse(remote.contents) else { continue }
            try? compiler.register(document, uri: "http://localhost:1234/" + remote.path)
        }
        return compiler
    }

    /// Runs every test of `files`; files under `optional/format/` run with format assertion on.
    public static func run(dialect: Dialect, files: [TestFile], remotes: [TestFile]) -> Report {
        let plain = compiler(dialect: dialect, remotes: remotes)
        let asserting = compiler(dialect: dialect, remotes: remotes, formatAssertion: true)
        var report = Report()
        for file in files.sorted(by: { $0.path < $1.path }) {
            let compiler = file.path.hasPrefix("optional/format/") ? asserting : plain
            run(file, compiler: compiler, into: &report)
        }
        return report
    }

    private static func run(_ file: TestFile, compiler: SchemaCompiler, into report: inout Report) {
        guard case .array(let groups)? = try? JSONInstance.parse(file.contents) else {
            report.failed += 1
            report.failures.append("\(file.path): not a test file")
            return
        }
        for group in groups {
            let groupName = group["description"]?.stringValue ?? "?"
            let tests = group["tests"]?.arrayValue ?? []
            let compiled: Result<CompiledSchema, SchemaError>
            do throws(SchemaError) {
                compiled = .success(try compiler.compile(group["schema"] ?? .bool(true)))
            } catch {
                compiled = .failure(error)
            }
            for test in tests {
                let name = "\(file.path) / \(groupName) / \(test["description"]?.stringValue ?? "?")"
                let expected = test["valid"]?.boolValue ?? true
                switch compiled {
                case .success(let schema):
                    let result = schema.validate(test["data"] ?? .null, maxErrors: 1)
                    if result.isValid == expected {
                        report.passed += 1
                    } else {
                        report.failed += 1
                        report.failures.append(name)
                    }
                case .failure(let error):
                    report.failed += 1
                    report.failures.append("\(name) (schema error: \(error))")
                }
            }
        }
    }
}
