import ArgumentParser
import Foundation
import GatewayConfig
import GatewayServer
import Logging
import ServiceLifecycle

/// `portcullis [serve] [--config PATH]`: run until SIGTERM/SIGINT, then drain and exit 0.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway (the default command).")

    @Option(name: .shortAndLong, help: "Path of the configuration file.")
    var config: String = "gateway.json"

    @Option(help: "Event loop threads (default: one per core).")
    var threads: Int?

    func run() async throws {
        let level = ProcessInfo.processInfo.environment["PORTCULLIS_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
        let json = ProcessInfo.processInfo.environment["PORTCULLIS_LOG_FORMAT"] == "json"
        LoggingSystem.bootstrap { label in
            // Function output is always JSON lines (tagged with function and request id); the rest on request.
            if json || label == FunctionHosts.outputLabel {
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "portcullis")
        let environment = ProcessInfo.processInfo.environment
        let (result, fleet) = GatewayRuntime.loadConfiguration(path: config, environment: environment)
        for diagnostic in result.diagnostics {
            FileHandle.standardError.write(Data((diagnostic.formatted(displayPath: config) + "\n").utf8))
        }
        guard let snapshot = result.snapshot else { throw ExitCode(1) }

        var options = GatewayRuntime.Options()
        if let threads { options.eventLoops = threads }
        let runtime = try GatewayRuntime(snapshot: snapshot, configPath: config, options: options, logger: logger,
                                         environment: { ProcessInfo.processInfo.environment }, fleet: fleet)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: GatewayService(runtime: runtime))],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}
