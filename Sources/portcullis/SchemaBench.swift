import ArgumentParser
import Foundation
import JSONSchema

extension Schema {
    /// `portcullis schema bench SCHEMA INSTANCE`: validations per second for one schema and one instance, the way the
    /// gateway pays for a request body (bytes parsed, then validated with the route's error cap). Exists so
    /// Benchmarks/schema.sh can compare the validator with Python's on the same files from one release binary.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure validations per second of one instance against one schema.",
            discussion: """
                Compiles SCHEMA once, then checks INSTANCE from its bytes as the gateway checks a request body \
                (the one-pass check, and the parser and evaluator when it is not certain), repeatedly, for \
                --seconds. Prints one line: validations_per_s=... us_per_validation=... iterations=... seconds=... \
                The instance must be valid (exit 1 otherwise): the benchmark measures the path a good request takes.
                """)

        @Argument(help: "The schema file.")
        var schema: String

        @Argument(help: "The instance file.")
        var instance: String

        @Option(help: "How long to measure, after a short warm-up.")
        var seconds: Double = 3

        @Flag(help: "Assert `format` (date-time, email, ...), as the gateway does.")
        var formatAssertion = false

        @Flag(help: "Validate an instance parsed once, leaving JSON parsing out of the loop.")
        var preparsed = false

        @Flag(help: "From the bytes, always parse into a tree and evaluate it (skip the one-pass check).")
        var tree = false

        @Option(help: "Errors collected per validation (the gateway's default is 50; 0 computes the verdict only).")
        var maxErrors = 50

        func run() throws {
            guard let schemaData = FileManager.default.contents(atPath: schema),
                  let instanceData = FileManager.default.contents(atPath: instance) else {
                throw ValidationError("cannot read \(schema) or \(instance)")
            }
            let compiled = try SchemaCompiler(formatAssertion: formatAssertion)
                .compile(JSONInstance.parse(Array(schemaData)), baseURI: URL(fileURLWithPath: schema).absoluteURL.absoluteString)
            let bytes = Array(instanceData)
            let parsedOnce = try JSONInstance.parse(bytes)
            let first = compiled.validate(parsedOnce, maxErrors: maxErrors)
            guard first.isValid else {
                print("\(instance): invalid, not benchmarked")
                for error in first.errors { print("  \(error.instancePointer): \(error.message) (\(error.keyword))") }
                throw ExitCode(1)
            }

            // One pass of the loop; its verdicts are counted and checked below so no work can be optimised away.
            let parseAndValidate = { compiled.validate(try JSONInstance.parse(bytes), maxErrors: maxErrors).isValid }
            let once: () throws -> Bool = preparsed ? { compiled.validate(parsedOnce, maxErrors: maxErrors).isValid }
                : tree ? parseAndValidate
                : { try bytes.withUnsafeBytes { compiled.certainlyAccepts($0) } || parseAndValidate() }

            let clock = ContinuousClock()
            let warmUpEnd = clock.now.advanced(by: .milliseconds(min(500, Int(seconds * 100))))
            while clock.now < warmUpEnd { _ = try once() }

            var iterations = 0
            var validCount = 0
            let start = clock.now
            let end = start.advanced(by: .nanoseconds(Int64(seconds * 1e9)))
            var now = start
            repeat {
                for _ in 0..<8 { if try once() { validCount += 1 } }
                iterations += 8
                now = clock.now
            } while now < end
            guard validCount == iterations else {
                print("only \(validCount) of \(iterations) validations passed")
                throw ExitCode(1)
            }
            let elapsed = Double((now - start).components.seconds) + Double((now - start).components.attoseconds) / 1e18
            let mode = preparsed ? "validate" : tree ? "parse+validate" : "from-bytes"
            print("swift \(mode) " + String(format: "validations_per_s=%.1f us_per_validation=%.2f iterations=%d seconds=%.2f",
                                             Double(iterations) / elapsed, 1e6 * elapsed / Double(iterations), iterations, elapsed))
        }
    }
}
