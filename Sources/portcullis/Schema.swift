import ArgumentParser
import Foundation
import JSONSchema

/// `portcullis schema ...`: JSON Schema tools over the same validator the gateway uses.
struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "JSON Schema tools.",
        subcommands: [Validate.self, Suite.self, Bench.self])

    /// `portcullis schema validate SCHEMA INSTANCE...`: exit 1 if any instance is invalid, 2 if the schema is unusable.
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate JSON instances against a schema.",
            discussion: "Exit status: 0 all valid, 1 an instance is invalid or unreadable, 2 the schema is unreadable or invalid.")

        @Argument(help: "The schema file.")
        var schema: String

        @Argument(help: ArgumentHelp("Instance files to validate.", valueName: "instance"))
        var instances: [String]

        @Flag(help: "Assert `format` (date-time, email, ...) in every dialect.")
        var formatAssertion = false

        @Option(help: "Maximum errors listed per instance.")
        var maxErrors = 50

        func run() throws {
            let compiled: CompiledSchema
            do {
                let document = try readJSON(schema)
                compiled = try SchemaCompiler(formatAssertion: formatAssertion)
                    .compile(document, baseURI: URL(fileURLWithPath: schema).absoluteURL.absoluteString)
            } catch {
                printError("\(schema): \(error)")
                throw ExitCode(2)
            }
            var allValid = true
            for path in instances {
                let instance: JSONInstance
                do {
                    instance = try readJSON(path)
                } catch {
                    printError("\(path): \(error)")
                    allValid = false
                    continue
                }
                let result = compiled.validate(instance, maxErrors: maxErrors)
                if result.isValid {
                    print("\(path): valid")
                    continue
                }
                allValid = false
                print("\(path): invalid")
                for error in result.errors {
                    print("  \(error.instancePointer.isEmpty ? "/" : error.instancePointer): \(error.message) "
                          + "(\(error.keyword) at \(error.schemaLocation.isEmpty ? "#" : error.schemaLocation))")
                }
                if result.truncated { print("  ... more errors not shown (--max-errors \(maxErrors))") }
            }
            if !allValid { throw ExitCode(1) }
        }
    }

    /// `portcullis schema suite DIR`: runs the official JSON-Schema-Test-Suite layout (tests/<dialect>/, remotes/).
    struct Suite: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the official JSON-Schema-Test-Suite found in DIR.",
            discussion: """
                Each folder under DIR/tests named draft4, draft6, draft7, draft2019-09 or draft2020-12 runs with that \
                dialect as default; DIR/remotes is served as http://localhost:1234/. Required tests only, unless \
                --optional (optional/format runs with format assertion on).
                """)

        @Argument(help: "The suite's root directory (holding tests/ and remotes/).")
        var directory: String

        @Flag(help: "Print one JSON object keyed by folder name.")
        var json = false

        @Flag(help: "Also run the optional/ tests.")
        var optional = false

        func run() throws {
            let root = URL(fileURLWithPath: directory)
            let testsRoot = root.appendingPathComponent("tests")
            guard let folders = try? FileManager.default.contentsOfDirectory(atPath: testsRoot.path) else {
                printError("\(directory): no tests/ folder")
                throw ExitCode(2)
            }
            let remotes = jsonFiles(under: root.appendingPathComponent("remotes"))
            var reports: [(String, ConformanceSuite.Report)] = []
            for folder in folders.sorted() {
                guard let dialect = Dialect.allCases.first(where: { $0.suiteFolderName == folder }) else { continue }
                let files = jsonFiles(under: testsRoot.appendingPathComponent(folder))
                    .filter { optional || !$0.path.hasPrefix("optional/") }
                reports.append((folder, ConformanceSuite.run(dialect: dialect, files: files, remotes: remotes)))
            }
            json ? printJSON(reports) : printTables(reports)
        }

        private func printTables(_ reports: [(String, ConformanceSuite.Report)]) {
            print("dialect        passed  failed   total")
            for (folder, report) in reports {
                print(folder.padding(toLength: 13, withPad: " ", startingAt: 0)
                      + String(format: " %7d %7d %7d", report.passed, report.failed, report.total))
            }
            for (folder, report) in reports where !report.failures.isEmpty {
                print("\n\(folder) failures:")
                for failure in report.failures { print("  \(failure)") }
            }
        }

        private func printJSON(_ reports: [(String, ConformanceSuite.Report)]) {
            var object = JSONObject()
            for (folder, report) in reports {
                var entry = JSONObject()
                entry["passed"] = .number(JSONNumber(report.passed))
                entry["failed"] = .number(JSONNumber(report.failed))
                entry["total"] = .number(JSONNumber(report.total))
                entry["failures"] = .array(report.failures.map { .string($0) })
                object[folder] = .object(entry)
            }
            print(JSONInstance.object(object).jsonText)
        }
    }
}

/// Reads and parses a JSON file.
private func readJSON(_ path: String) throws -> JSONInstance {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ArgumentParser.ValidationError("cannot read \(path)")
    }
    return try JSONInstance.parse(Array(data))
}

/// Every `.json` file below `folder`, with paths relative to it.
private func jsonFiles(under folder: URL) -> [ConformanceSuite.TestFile] {
    let rootPath = folder.standardizedFileURL.path
    guard let enumerator = FileManager.default.enumerator(atPath: rootPath) else { return [] }
    var files: [ConformanceSuite.TestFile] = []
    for case let relative as String in enumerator where relative.hasSuffix(".json") {
        if let data = FileManager.default.contents(atPath: rootPath + "/" + relative) {
            files.append(ConformanceSuite.TestFile(path: relative, contents: Array(data)))
        }
    }
    return files
}

private func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
