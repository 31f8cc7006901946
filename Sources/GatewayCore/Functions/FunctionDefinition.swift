/// Which API Gateway event a function receives and how its result is read (contract: function `payloadFormat`).
public enum PayloadFormat: String, Sendable, Equatable {
    /// REST API proxy event; strict proxy response.
    case v1 = "1.0"
    /// HTTP API event; a result without `statusCode` is inferred as a 200 JSON body.
    case v2 = "2.0"
}

/// One function from `functions`: where it runs and how it is called.
public struct FunctionDefinition: Sendable {
    public enum Backend: Sendable {
        /// Hosted by the gateway: worker processes polling the Lambda Runtime API.
        case hosted(HostedFunctionSettings)
        /// Reached over the Lambda Invoke API (AWS, the runtime interface emulator, `sam local start-lambda`).
        case remote(RemoteFunctionSettings)
    }

    public let name: String
    public let payloadFormat: PayloadFormat
    /// The function's own timeout: past it the invocation fails (504) and a hosted worker is replaced.
    public let timeout: Duration
    public let backend: Backend
    /// How routes with `"invocationType": "Event"` invoke it (contract: the function's `async`).
    public let async: AsyncInvocationSettings

    public init(name: String, payloadFormat: PayloadFormat, timeout: Duration, backend: Backend,
                async: AsyncInvocationSettings = AsyncInvocationSettings()) {
        self.name = name
        self.payloadFormat = payloadFormat
        self.timeout = timeout
        self.backend = backend
        self.async = async
    }
}

/// How a hosted function's workers are run (contract: `command` and its settings).
public struct HostedFunctionSettings: Sendable {
    /// argv: the program and its arguments, run without a shell.
    public let command: [String]
    /// Resolved against the config file's folder; the worker's working directory and `LAMBDA_TASK_ROOT`.
    public let workingDirectory: String?
    /// The worker's whole environment besides the standard Lambda variables: nothing is inherited.
    public let environment: [(name: String, value: String)]
    /// Workers started at boot and kept warm.
    public let provisioned: Int
    public let maxConcurrency: Int
    /// Workers idle this long beyond the provisioned ones are stopped.
    public let idleTimeout: Duration
    /// MB: reported as `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` and enforced as the worker's address-space limit when set.
    public let memoryMB: Int?

    public init(command: [String], workingDirectory: String?, environment: [(name: String, value: String)],
                provisioned: Int, maxConcurrency: Int, idleTimeout: Duration, memoryMB: Int?) {
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.provisioned = provisioned
        self.maxConcurrency = maxConcurrency
        self.idleTimeout = idleTimeout
        self.memoryMB = memoryMB
    }
}

/// A route's `function` integration: the function by index into the snapshot's `functions`.
public struct FunctionIntegration: Sendable {
    /// `RequestResponse` (default): the function's result is the response. `Event`: the event is stored and the
    /// route answers 202 at once; the function runs in the background with retries (`AsyncInvocationSettings`).
    public enum InvocationType: String, Sendable, Equatable {
        case requestResponse = "RequestResponse"
        case event = "Event"
    }

    public let functionName: String
    public let functionIndex: Int
    public let payloadFormat: PayloadFormat
    public let invocationType: InvocationType

    public init(functionName: String, functionIndex: Int, payloadFormat: PayloadFormat,
                invocationType: InvocationType = .requestResponse) {
        self.functionName = functionName
        self.functionIndex = functionIndex
        self.payloadFormat = payloadFormat
        self.invocationType = invocationType
    }
}

/// Where a remote function's Invoke API is (contract: `invoke`, `aws`).
public struct RemoteFunctionSettings: Sendable {
    /// The server (`tls` for `https://`); its `basePath` is the invocation path.
    public let target: UpstreamTarget
    /// The query as written (`Qualifier=prod`), or nil.
    public let query: String?
    /// With `aws`: requests are signed (SigV4) for this region.
    public let credentials: AWSCredentials?
    public let region: String?

    /// The query's pairs decoded, as SigV4 takes them (it encodes them again itself): the same for every call.
    public let signingQuery: [(name: String, value: String)]

    public init(target: UpstreamTarget, query: String?, credentials: AWSCredentials?, region: String?) {
        self.target = target
        self.query = query
        self.credentials = credentials
        self.region = region
        signingQuery = query.map { QueryParameters.split(Substring($0)) }?.map { name, value in
            (PercentDecoding.decode(name) ?? String(name), PercentDecoding.decode(value) ?? String(value))
        } ?? []
    }

    /// The request target: the invocation path and its query.
    public var requestTarget: String { target.basePath + (query.map { "?" + $0 } ?? "") }
}
