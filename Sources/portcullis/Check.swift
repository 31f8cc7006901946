import ArgumentParser
import Foundation
import GatewayConfig

/// `portcullis check [PATH]`: every diagnostic as `PATH: /pointer: message`; exit 1 on any error.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Validate a configuration file without running it.")

    @Argument(help: "Path of the configuration file.")
    var path: String = "gateway.json"

    func run() throws {
        let result = ConfigLoader.load(path: path, environment: ProcessInfo.processInfo.environment)
        for diagnostic in result.diagnostics {
            print(diagnostic.formatted(displayPath: path))
        }
        guard let snapshot = result.snapshot else { throw ExitCode(1) }
        print("\(path): OK (\(ConfigSummary.summary(of: snapshot)))")
    }
}
