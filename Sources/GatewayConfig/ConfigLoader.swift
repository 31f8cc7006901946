import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GatewayCore

/// The outcome of loading a config: a snapshot only when there is no error, plus every diagnostic found.
public struct ConfigLoadResult: Sendable {
    public let snapshot: GatewaySnapshot?
    public let diagnostics: [ConfigDiagnostic]

    public init(snapshot: GatewaySnapshot?, diagnostics: [ConfigDiagnostic]) {
        self.snapshot = snapshot
        self.diagnostics = diagnostics
    }

    public var errors: [ConfigDiagnostic] { diagnostics.filter(\.isError) }
    public var warnings: [ConfigDiagnostic] { diagnostics.filter { !$0.isError } }
}

/// Entry points for `serve`, `check` and reload: read, decode strictly, compile to a `GatewaySnapshot`.
public enum ConfigLoader {
    /// Sections a later release implements; present ones are errors so nothing is silently ignored.
    static let unsupportedSections: [String] = []

    /// Reads, decodes and compiles; `environment` is injected for tests.
    /// `now` is when certificates are checked for expiry (injected for tests). `state` is what outlives a config
    /// (counters, clock): a reload passes the running snapshot's.
    public static func load(path: String, environment: [String: String], now: Date = Date(),
                            state: GatewayState = GatewayState()) -> ConfigLoadResult {
        switch readFile(path) {
        case .success(let bytes):
            return compile(data: bytes, sourcePath: path, environment: environment, now: now, state: state)
        case .failure(let error):
            return ConfigLoadResult(snapshot: nil, diagnostics: [.error("", "cannot read file: \(error.message)")])
        }
    }

    /// Decodes and compiles bytes as if read from `sourcePath` (relative paths resolve against its directory).
    public static func compile(data: [UInt8], sourcePath: String, environment: [String: String],
                               now: Date = Date(), state: GatewayState = GatewayState()) -> ConfigLoadResult {
        let value: JSONValue
        do {
            value = try JSONParser.parse(data)
        } catch {
            return ConfigLoadResult(snapshot: nil, diagnostics: [.error(error.pointer, error.description)])
        }
        let context = DecodeContext(environment: environment, baseDirectory: ConfigPaths.directory(of: sourcePath))
        let snapshot = compile(Node(value: value, pointer: "", context: context), sourcePath: ConfigPaths.absolute(sourcePath),
                               now: now, state: state)
        return ConfigLoadResult(snapshot: context.errorCount == 0 ? snapshot : nil, diagnostics: context.diagnostics)
    }

    static func compile(_ root: Node, sourcePath: String, now: Date, state: GatewayState) -> GatewaySnapshot? {
        guard case .object = root.value else {
            root.context.error("", "the configuration must be a JSON object (got \(root.value.typeName))")
            return nil
        }
        guard let reader = root.object() else { return nil }
        defer { reader.finish() }
        let settings = SettingsDecoder.decode(reader)
        let schemas = SchemaLibrary.decode(reader.optional("models"))
        let functions = FunctionDecoder.decode(reader.optional("functions"))
        let queues = QueueDecoder.decode(reader.optional("queues"), functions: functions.catalog)
        if let names = queues.names {
            for reference in functions.onFailureReferences where !names.contains(reference.queue) {
                let hint = KeySuggestion.hint(for: reference.queue, among: names.sorted(), none: "; \"queues\" defines none")
                root.context.error(reference.pointer, "no queue named \"\(reference.queue)\"\(hint)")
            }
        }
        let apis = APIDecoder.decode(reader.optional("apis"), schemas: schemas, functions: functions.catalog,
                                     queues: queues.names)
        let domains = DomainDecoder.decode(reader.optional("domains"), apiNames: apis.names)
        let tlsSection = TLSDecoder.decodeSection(reader.optional("tls"))
        let waf = WAFDecoder.decode(reader.optional("waf"), state: state)
        let limits = LimitsDecoder.decode(reader, apis: apis.apis, apiNames: apis.names, store: state.limits)
        let stateSettings = StateDecoder.decode(reader.optional("state"))
        let cacheSettings = CacheDecoder.decodeSettings(reader.optional("cache"))
        reader.rejectUnsupported(unsupportedSections)
        let tls = TLSDecoder.compile(https: settings?.settings.listen.https, listenKnown: settings != nil,
                                     httpsPointer: "/listen/https", section: tlsSection,
                                     domains: domains?.certificates ?? [], context: root.context, now: now)
        if !reader.has("apis") {
            root.context.warning("", "no \"apis\" are configured; every request will get 404")
        }
        guard var settings, let compiledAPIs = apis.apis, let domains, let waf, let limits, let stateSettings,
              let cacheSettings, let functionDefinitions = functions.functions, let queueDefinitions = queues.queues else {
            return nil
        }
        settings.settings.state = stateSettings
        settings.settings.cache = cacheSettings
        if settings.settings.listen.https != nil {
            guard let tls else { return nil }
            settings.settings.tls = tls
        }
        let defaultEndpoint = settings.defaultEndpoint
            ? compiledAPIs.enumerated().map { BasePathMapping(basePath: $1.basePath, api: $0) }
            : nil
        return GatewaySnapshot(settings: settings.settings, apis: compiledAPIs,
                               hostRouter: HostRouter(domains: domains.routes, defaultEndpoint: defaultEndpoint),
                               sourcePath: sourcePath, domainNames: domains.routes.map(\.name), waf: waf,
                               limits: limits, state: state, functions: functionDefinitions, queues: queueDefinitions)
    }

    /// POSIX read so the message is the system's own ("No such file or directory", "Is a directory").
    static func readFile(_ path: String) -> Result<[UInt8], MessageError> {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return .failure(MessageError(String(cString: strerror(errno)))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(MessageError(String(cString: strerror(errno))))
            }
            if n == 0 { return .success(bytes) }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }
}
