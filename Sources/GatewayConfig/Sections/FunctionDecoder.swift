import GatewayCore

/// The functions routes may name: index and payload format by name (nil when `functions` had errors, so routes
/// do not report names that only failed to decode).
struct FunctionCatalog {
    var byName: [String: (index: Int, payloadFormat: PayloadFormat)]
}

/// `functions`: each function's name, where it runs (`command`: hosted; `invoke`: remote, not yet) and its limits.
enum FunctionDecoder {
    static let defaultTimeout = Duration.seconds(29)
    static let maxTimeout = Duration.seconds(15 * 60)
    static let defaultMaxConcurrency = 10
    static let defaultIdleTimeout = Duration.seconds(300)
    static let memoryRange = 64...10_240

    struct Decoded {
        var functions: [FunctionDefinition]?
        var catalog: FunctionCatalog?
    }

    static func decode(_ node: Node?) -> Decoded {
        guard let node else { return Decoded(functions: [], catalog: FunctionCatalog(byName: [:])) }
        guard let items = node.array() else { return Decoded(functions: nil, catalog: nil) }
        var functions: [FunctionDefinition] = []
        var byName: [String: (index: Int, payloadFormat: PayloadFormat)] = [:]
        var firstPointer: [String: String] = [:]
        var ok = true
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
        }
        return ok ? Decoded(functions: functions, catalog: FunctionCatalog(byName: byName)) : Decoded(functions: nil, catalog: nil)
    }

    static func decodeFunction(_ node: Node) -> FunctionDefinition? {
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        let context = node.context
        let before = context.errorCount
        var name: String?
        if let nameNode = reader.required("name"), let text = nameNode.nonEmptyString() {
            if text.utf8.count <= 64, text.utf8.allSatisfy({ HTTPToken.isTokenByte($0) && $0 != UInt8(ascii: ":") }) {
                name = text
            } else {
                context.error(nameNode.pointer, "must be 1 to 64 letters, digits, '-' or '_' (got \"\(text)\")")
            }
        }
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
        switch (invokeNode, commandNode) {
        case (nil, nil):
            context.error(node.pointer, "missing required key \"command\" (a hosted function) or \"invoke\" (a remote one)")
        case (.some, .some):
            context.error(node.pointer, "use either \"command\" or \"invoke\", not both")
        case (let invoke?, nil):
            context.error(invoke.pointer, "remote functions (\"invoke\") are not supported yet; host the function with \"command\"")
        case (nil, let command?):
            hosted = decodeHosted(reader, command: command)
        }
        reader.rejectUnsupported(["aws", "async"], note: " (remote functions and asynchronous invocation come in a later release)")
        guard context.errorCount == before, let name, let timeout, let hosted else { return nil }
        return FunctionDefinition(name: name, payloadFormat: payloadFormat, timeout: timeout, backend: .hosted(hosted))
    }

    static func decodeHosted(_ reader: ObjectReader, command: Node) -> HostedFunctionSettings? {
        let context = reader.context
        let before = context.errorCount
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
