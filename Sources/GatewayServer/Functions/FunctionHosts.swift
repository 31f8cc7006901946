import GatewayCore
import Logging
import NIOCore
import Synchronization

/// The hosted functions of the running configuration, by name. A reload keeps a function whose settings did not
/// change (its warm workers with it), starts new or changed ones and stops the rest.
public final class FunctionHosts: Sendable {
    let logger: Logger
    private let metrics: GatewayMetrics?
    private let functions = Mutex<[String: (fingerprint: String, function: HostedFunction)]>([:])

    init(logger: Logger, metrics: GatewayMetrics?) {
        self.logger = logger
        self.metrics = metrics
    }

    func hosted(_ name: String) -> HostedFunction? {
        functions.withLock { $0[name]?.function }
    }

    var all: [HostedFunction] { functions.withLock { $0.values.map(\.function) } }

    /// Makes the set match `definitions`; the caller starts `started` and stops `removed`.
    func sync(_ definitions: [FunctionDefinition],
              group: EventLoopGroup) -> (started: [HostedFunction], removed: [HostedFunction]) {
        functions.withLock { current in
            var started: [HostedFunction] = []
            var removed: [HostedFunction] = []
            var next: [String: (fingerprint: String, function: HostedFunction)] = [:]
            for definition in definitions {
                guard case .hosted(let settings) = definition.backend else { continue }
                let fingerprint = Self.fingerprint(definition, settings)
                if let existing = current[definition.name], existing.fingerprint == fingerprint {
                    next[definition.name] = existing
                    continue
                }
                if let existing = current[definition.name] { removed.append(existing.function) }
                let function = HostedFunction(definition: definition, settings: settings, eventLoop: group.next(),
                                              logger: logger, outputLogger: Self.outputLogger,
                                              metrics: metrics.map { FunctionMetrics(function: definition.name, metrics: $0) })
                next[definition.name] = (fingerprint, function)
                started.append(function)
            }
            for (name, entry) in current where next[name] == nil { removed.append(entry.function) }
            current = next
            return (started, removed)
        }
    }

    /// Workers' output lines: a logger of its own, which `portcullis serve` writes as JSON lines.
    public static let outputLabel = "portcullis.functions"
    static let outputLogger = Logger(label: outputLabel)

    /// Everything that decides how workers run: a change to any of it starts fresh workers.
    static func fingerprint(_ definition: FunctionDefinition, _ settings: HostedFunctionSettings) -> String {
        var parts = settings.command
        parts.append(settings.workingDirectory ?? "")
        parts += settings.environment.map { "\($0.name)=\($0.value)" }
        parts += ["\(settings.provisioned)", "\(settings.maxConcurrency)", "\(settings.idleTimeout)",
                  "\(settings.memoryMB ?? 0)", "\(definition.timeout)", definition.payloadFormat.rawValue]
        return parts.joined(separator: "\u{0}")
    }
}
