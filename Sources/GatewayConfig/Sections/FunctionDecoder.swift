import GatewayCore

/// The functions routes may name: index and payload format by name (nil when `functions` had errors, so routes
/// do not report names that only failed to decode).
struct FunctionCatalog {
    var byName: [String: (index: Int, payloadFormat: PayloadFormat)]
}

/// `functions`: each function's name, where it runs (`command`: hosted; `invoke`: remote) and its limits.
enum FunctionDecoder {
    static let defaultTimeout = Duration.seconds(29)
    static let maxTimeout = Duration.seconds(15 * 60)
    static let defaultMaxConcurrency = 10
    static let defaultIdleTimeout = Duration.seconds(300)
    static let memoryRange = 64...10_240

    struct Decoded {
        var functions: [FunctionDefinition]?
        var catalog: FunctionCatalog?
        /// Each `async.onFailure` queue name with its pointer, checked once `queues` is decoded.
        var onFailureReferences: [(queue: String, pointer: String)] = []
    }

    static func decode(_ node: Node?) -> Decoded {
        guard let node else { return Decoded(functions: [], catalog: FunctionCatalog(byName: [:])) }
        guard let items = node.array() else { return Decoded(functions: nil, catalog: nil) }
        var functions: [FunctionDefinition] = []
        var byName: [String: (index: Int, payloadFormat: PayloadFormat)] = [:]
        var firstPointer: [String: String] = [:]
        var ok = true
        var references: [(queue: String, pointer: String)] = []
        for item in items {
            guard let function = decodeFunction(item) else {
                ok = false
                continue
            }
            if let earlier = firstPointer[function.name] {
                node.context.error(JSONPointer.appending(item.pointer, "name"),
                                   "duplicate function name \"\(function.name)\" (also at \(earlier))")
                ok = false
                continue
            }
            firstPointer[function.name] = item.pointer
            byName[function.name] = (functions.count, function.payloadFormat)
            functions.append(function)
            if let queue = function.async.onFailure {
                references.append((queue, JSONPointer.appending(JSONPointer.appending(item.pointer, "async"), "onFailure")))
            }
        }
        return ok ? Decoded(functions: functions, catalog: FunctionCatalog(byName: byName), onFailureReferences: references)
            : Decoded(functions: nil, catalog: nil)
    }

    static func decodeFunction(_ node: Node) -> FunctionDefinition? {
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        let context = node.context
        let before = context.errorCount
        let name = reader.required("name").flatMap(decodeName)
        var payloadFormat = PayloadFormat.v2
        if let formatNode = reader.optional("payloadFormat"), let text = formatNode.string() {
            if let format = PayloadFormat(rawValue: text) {
                payloadFormat = format
            } else {
                context.error(formatNode.pointer, "must be \"1.0\" or \"2.0\" (got \"\(text)\")")
            }
        }
        let timeout = reader.optional("timeout").map { $0.duration(max: maxTimeout, minExclusive: true) } ?? defaultTimeout
        let invokeNode = reader.optional("invoke")
        let commandNode = reader.optional("command")
        var hosted: HostedFunctionSettings?
        var remote: RemoteFunctionSettings?
        switch (invokeNode, commandNode) {
        case (nil, nil):
            context.error(node.pointer, "missing required key \"command\" (a hosted function) or \"invoke\" (a remote one)")
        case (.some, .some):
            context.error(node.pointer, "use either \"command\" or \"invoke\", not both")
        case (let invoke?, nil):
            remote = decodeRemote(reader, invoke: invoke)
        case (nil, let command?):
            hosted = decodeHosted(reader, command: command)
        }
        let async = reader.optional("async").flatMap(decodeAsync) ?? AsyncInvocationSettings()
        guard context.errorCount == before, let name, let timeout else { return nil }
        if let hosted {
            return FunctionDefinition(name: name, payloadFormat: payloadFormat, timeout: timeout, backend: .hosted(hosted),
                                      async: async)
        }
        if let remote {
            return FunctionDefinition(name: name, payloadFormat: payloadFormat, timeout: timeout, backend: .remote(remote),
                                      async: async)
        }
        return nil
    }

    /// `async`: `maximumRetryAttempts` 0–2 (default 2), `maximumEventAge` 60s–6h (default 6h), `onFailure` a queue
    /// name (checked against `queues` by the loader).
    static func decodeAsync(_ node: Node) -> AsyncInvocationSettings? {
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        var settings = AsyncInvocationSettings()
        if let retries = reader.optional("maximumRetryAttempts")?.int(in: 0...2) { settings.maximumRetryAttempts = retries }
        if let age = reader.optional("maximumEventAge")?.duration(max: .seconds(6 * 3600), min: .seconds(60)) {
            settings.maximumEventAge = Int64(age.components.seconds) * 1_000_000_000
        }
        if let queue = reader.optional("onFailure")?.nonEmptyString() { settings.onFailure = queue }
        return settings
    }

    /// Lambda's own rule for a bare function name (queue names follow it too): 1 to 64 letters, digits, '-' or '_'.
    static func decodeName(_ node: Node) -> String? {
        guard let text = node.nonEmptyString() else { return nil }
        let allowed: (UInt8) -> Bool = { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
        guard text.utf8.count <= 64, text.utf8.allSatisfy(allowed) else {
            node.context.error(node.pointer, "must be 1 to 64 letters, digits, '-' or '_' (got \"\(text)\")")
            return nil
        }
        return text
    }

    /// `invoke`: the invocation URL (`http://` or `https://`, with an optional `?Qualifier=`); `aws` signs it.
    static func decodeRemote(_ reader: ObjectReader, invoke: Node) -> RemoteFunctionSettings? {
        let context = reader.context
        let before = context.errorCount
        for key in ["workingDirectory", "environment", "provisioned", "maxConcurrency", "idleTimeout", "memory"] {
            if let node = reader.optional(key) { context.error(node.pointer, "applies to hosted functions (\"command\") only") }
        }
        let caFile = reader.optional("caFile").flatMap(IntegrationDecoder.caFilePath)
        var target: UpstreamTarget?
        var query: String?
        if let text = invoke.string() {
            let parts = text.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 {
                let raw = String(parts[1])
                if raw.isEmpty || raw.contains("#") || !raw.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
                    context.error(invoke.pointer, "invalid query in \"\(text)\"")
                } else {
                    query = raw
                }
            }
            switch NetworkSyntax.parseUpstreamURL(String(parts[0]), caFile: caFile) {
            case .success(let parsed):
                if parsed.basePath.isEmpty {
                    context.error(invoke.pointer, "must be the invocation URL, such as \"http://127.0.0.1:9000/2015-03-31/functions/function/invocations\" (got \"\(text)\")")
                } else {
                    target = parsed
                }
            case .failure(let error):
                context.error(invoke.pointer, error.message)
            }
        }
        var credentials: AWSCredentials?
        var region: String?
        if let awsNode = reader.optional("aws"), let aws = awsNode.object() {
            region = aws.required("region")?.nonEmptyString()
            let key = aws.required("accessKeyId")?.nonEmptyString()
            let secret = aws.required("secretAccessKey")?.nonEmptyString()
            let token = aws.optional("sessionToken")?.nonEmptyString()
            aws.finish()
            if let key, let secret { credentials = AWSCredentials(accessKeyId: key, secretAccessKey: secret, sessionToken: token) }
        }
        guard context.errorCount == before, let target else { return nil }
        return RemoteFunctionSettings(target: target, query: query, credentials: credentials, region: region)
    }

    static func decodeHosted(_ reader: ObjectReader, command: Node) -> HostedFunctionSettings? {
        let context = reader.context
        let before = context.errorCount
        for key in ["aws", "caFile"] {
            if let node = reader.optional(key) { context.error(node.pointer, "applies to remote functions (\"invoke\") only") }
        }
        var argv: [String] = []
        if let items = command.array() {
            if items.isEmpty { context.error(command.pointer, "must name a program to run") }
            argv = items.compactMap { $0.nonEmptyString() }
        }
        let workingDirectory = reader.optional("workingDirectory")?.filePath()
        var environment: [(name: String, value: String)] = []
        if let environmentNode = reader.optional("environment"), let variables = environmentNode.object() {
            for member in variables.object.members {
                let (name, value) = (member.key, member.value)
                let pointer = JSONPointer.appending(environmentNode.pointer, name)
                if name.isEmpty || name.contains("=") || name.utf8.contains(0) {
                    context.error(pointer, "is not a valid environment variable name")
                    continue
                }
                if let text = Node(value: value, pointer: pointer, context: context).string() {
                    if text.utf8.contains(0) { context.error(pointer, "must not contain NUL") } else { environment.append((name, text)) }
                }
            }
        }
        let maxConcurrency = reader.optional("maxConcurrency")?.int(in: 1...1000) ?? defaultMaxConcurrency
        var provisioned = 0
        if let provisionedNode = reader.optional("provisioned"), let count = provisionedNode.int(in: 0...1000) {
            if count > maxConcurrency {
                context.error(provisionedNode.pointer, "must not exceed maxConcurrency (\(maxConcurrency))")
            }
            provisioned = count
        }
        let idleTimeout = reader.optional("idleTimeout").map { $0.duration(max: .seconds(86_400), minExclusive: true) }
            ?? defaultIdleTimeout
        let memory = reader.optional("memory")?.int(in: memoryRange)
        guard context.errorCount == before, let idleTimeout else { return nil }
        return HostedFunctionSettings(command: argv, workingDirectory: workingDirectory, environment: environment,
                                      provisioned: provisioned, maxConcurrency: maxConcurrency,
                                      idleTimeout: idleTimeout, memoryMB: memory)
    }
}
