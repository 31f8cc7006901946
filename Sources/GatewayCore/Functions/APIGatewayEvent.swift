import NIOCore
import NIOHTTP1

/// What an event says about where and when a request arrived, beyond the request itself.
public struct FunctionEventContext: Sendable {
    /// The API's name: the event's `apiId`.
    public var apiName: String
    /// `$default`: Portcullis has no stages.
    public var stage = "$default"
    /// `http` or `https`, for `X-Forwarded-Proto`.
    public var scheme: String
    /// The listener's port, for `X-Forwarded-Port`.
    public var port: Int
    /// `HTTP/1.1` or `HTTP/2.0`.
    public var httpProtocol: String
    /// When the request arrived, for `requestTime`/`time` and their epoch forms.
    public var receivedAtMilliseconds: Int64

    public init(apiName: String, scheme: String, port: Int, httpProtocol: String, receivedAtMilliseconds: Int64) {
        self.apiName = apiName
        self.scheme = scheme
        self.port = port
        self.httpProtocol = httpProtocol
        self.receivedAtMilliseconds = receivedAtMilliseconds
    }
}

/// API Gateway proxy events (payload format 1.0 and 2.0), field for field as AWS sends them
/// (`function-protocols.md` B.1–B.3), so real Lambda code (Powertools, Mangum) reads them unchanged.
public enum APIGatewayEvent {
    public static func encode(_ format: PayloadFormat, request: RequestContext, body: ByteBuffer?,
                              context: FunctionEventContext) -> [UInt8] {
        var writer = JSONWriter()
        switch format {
        case .v1: version1(request, body: body, context: context, &writer)
        case .v2: version2(request, body: body, context: context, &writer)
        }
        return writer.bytes
    }

    // MARK: 1.0 (REST API)

    private static func version1(_ request: RequestContext, body: ByteBuffer?, context: FunctionEventContext,
                                 _ json: inout JSONWriter) {
        let method = request.method.rawValue
        let resource = resourcePath(request.route?.key)
        let path = PercentDecoding.decode(request.path) ?? String(request.path)
        let headers = forwardedHeaders(request, context)
        let userAgent = request.head.headers.first(name: "user-agent")
        json.beginObject()
        json.key("resource"); json.string(resource)
        json.key("path"); json.string(path)
        json.key("httpMethod"); json.string(method)
        // The last value of a repeated header, and all of them in order (client's spelling).
        json.key("headers")
        json.beginObject()
        for (index, (name, _)) in headers.enumerated()
        where !headers[..<index].contains(where: { $0.name.equalsASCIICaseInsensitive(name) }) {
            json.key(name)
            json.string(headers.last { $0.name.equalsASCIICaseInsensitive(name) }!.value)
        }
        json.endObject()
        json.key("multiValueHeaders")
        json.beginObject()
        for (index, (name, _)) in headers.enumerated()
        where !headers[..<index].contains(where: { $0.name.equalsASCIICaseInsensitive(name) }) {
            json.key(name)
            json.beginArray()
            for (other, value) in headers where other.equalsASCIICaseInsensitive(name) { json.string(value) }
            json.endArray()
        }
        json.endObject()
        let query = decodedQuery(request.query)
        json.key("queryStringParameters")
        if query.isEmpty {
            json.null()
        } else {
            json.beginObject()
            for (name, values) in query { json.key(name); json.string(values.last!) }
            json.endObject()
        }
        json.key("multiValueQueryStringParameters")
        if query.isEmpty {
            json.null()
        } else {
            json.beginObject()
            for (name, values) in query {
                json.key(name)
                json.beginArray()
                for value in values { json.string(value) }
                json.endArray()
            }
            json.endObject()
        }
        json.key("pathParameters")
        pathParameters(request, &json, nullWhenEmpty: true)
        json.key("stageVariables"); json.null()
        json.key("requestContext")
        json.beginObject()
        json.key("accountId"); json.string(accountId)
        json.key("apiId"); json.string(context.apiName)
        domain(request, &json)
        json.key("extendedRequestId"); json.string(request.requestId)
        json.key("httpMethod"); json.string(method)
        json.key("identity")
        json.beginObject()
        for name in ["accessKey", "accountId"] { json.key(name); json.null() }
        json.key("apiKey"); request.apiKey.map { json.string($0.name) } ?? json.null()
        json.key("apiKeyId"); request.apiKey.map { json.string($0.name) } ?? json.null()
        for name in ["caller", "cognitoAuthenticationProvider", "cognitoAuthenticationType", "cognitoIdentityId",
                     "cognitoIdentityPoolId", "principalOrgId"] {
            json.key(name); json.null()
        }
        json.key("sourceIp"); json.string(request.clientIP.description)
        json.key("user"); json.null()
        json.key("userAgent"); userAgent.map { json.string($0) } ?? json.null()
        json.key("userArn"); json.null()
        json.endObject()
        json.key("path"); json.string(path)
        json.key("protocol"); json.string(context.httpProtocol)
        json.key("requestId"); json.string(request.requestId)
        json.key("requestTime"); json.string(requestTime(context.receivedAtMilliseconds))
        json.key("requestTimeEpoch"); json.integer(context.receivedAtMilliseconds)
        json.key("resourceId"); json.string(request.route?.keyText ?? "$default")
        json.key("resourcePath"); json.string(resource)
        json.key("stage"); json.string(context.stage)
        json.endObject()
        json.key("body")
        let isBase64 = self.body(request, body, &json, nullWhenAbsent: true)
        json.key("isBase64Encoded"); json.bool(isBase64)
        json.endObject()
    }

    // MARK: 2.0 (HTTP API)

    private static func version2(_ request: RequestContext, body: ByteBuffer?, context: FunctionEventContext,
                                 _ json: inout JSONWriter) {
        let routeKey = request.route?.keyText ?? "$default"
        let rawPath = request.routePath.isEmpty ? "/" : String(request.routePath)
        let headers = forwardedHeaders(request, context)
        json.beginObject()
        json.key("version"); json.string("2.0")
        json.key("routeKey"); json.string(routeKey)
        json.key("rawPath"); json.string(rawPath)
        json.key("rawQueryString"); json.string(request.query.map(String.init) ?? "")
        // Cookie headers become `cookies`, one element per pair, and leave `headers`.
        var cookies: [Substring] = []
        for (name, value) in headers where name.equalsASCIICaseInsensitive("cookie") {
            for pair in value.split(separator: ";") {
                let trimmed = pair.trimmingASCIIWhitespace()
                if !trimmed.isEmpty { cookies.append(trimmed) }
            }
        }
        if !cookies.isEmpty {
            json.key("cookies")
            json.beginArray()
            for cookie in cookies { json.string(cookie) }
            json.endArray()
        }
        // Lower-cased names; a repeated header's values joined with ",".
        json.key("headers")
        json.beginObject()
        for (index, (name, _)) in headers.enumerated() where !name.equalsASCIICaseInsensitive("cookie")
            && !headers[..<index].contains(where: { $0.name.equalsASCIICaseInsensitive(name) }) {
            json.key(name.lowercased())
            json.string(headers.filter { $0.name.equalsASCIICaseInsensitive(name) }.map(\.value).joined(separator: ","))
        }
        json.endObject()
        let query = decodedQuery(request.query)
        if !query.isEmpty {
            json.key("queryStringParameters")
            json.beginObject()
            for (name, values) in query { json.key(name); json.string(values.joined(separator: ",")) }
            json.endObject()
        }
        if !request.pathParameters.isEmpty {
            json.key("pathParameters")
            pathParameters(request, &json, nullWhenEmpty: false)
        }
        json.key("requestContext")
        json.beginObject()
        json.key("accountId"); json.string(accountId)
        json.key("apiId"); json.string(context.apiName)
        domain(request, &json)
        json.key("http")
        json.beginObject()
        json.key("method"); json.string(request.method.rawValue)
        json.key("path"); json.string(rawPath)
        json.key("protocol"); json.string(context.httpProtocol)
        json.key("sourceIp"); json.string(request.clientIP.description)
        json.key("userAgent"); json.string(request.head.headers.first(name: "user-agent") ?? "")
        json.endObject()
        json.key("requestId"); json.string(request.requestId)
        json.key("routeKey"); json.string(routeKey)
        json.key("stage"); json.string(context.stage)
        json.key("time"); json.string(requestTime(context.receivedAtMilliseconds))
        json.key("timeEpoch"); json.integer(context.receivedAtMilliseconds)
        json.endObject()
        var isBase64 = false
        if let body, body.readableBytes > 0 {
            json.key("body")
            isBase64 = self.body(request, body, &json, nullWhenAbsent: false)
        }
        json.key("isBase64Encoded"); json.bool(isBase64)
        json.endObject()
    }

    // MARK: shared pieces

    /// Twelve zeros: an account id is part of the event's shape, and Portcullis has no accounts.
    static let accountId = "000000000000"

    /// The route's path template (`/pets/{id}`), or `/{proxy+}` for `$default`.
    static func resourcePath(_ key: RouteKey?) -> String {
        guard let key, !key.isDefault else { return "/{proxy+}" }
        let text = key.description
        return String(text[text.index(after: text.firstIndex(of: " ")!)...])
    }

    /// The client's headers plus the forwarding headers API Gateway adds (replacing any the client sent).
    static func forwardedHeaders(_ request: RequestContext,
                                 _ context: FunctionEventContext) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(request.head.headers.count + 3)
        for (name, value) in request.head.headers where !name.equalsASCIICaseInsensitive("x-forwarded-for")
            && !name.equalsASCIICaseInsensitive("x-forwarded-proto") && !name.equalsASCIICaseInsensitive("x-forwarded-port") {
            headers.append((name, value))
        }
        headers.append(("X-Forwarded-For", request.clientIP.description))
        headers.append(("X-Forwarded-Port", String(context.port)))
        headers.append(("X-Forwarded-Proto", context.scheme))
        return headers
    }

    /// Query pairs percent-decoded (`+` as space), grouped by name in first-seen order; a pair whose escapes do
    /// not decode is passed as sent rather than dropped.
    static func decodedQuery(_ query: Substring?) -> [(name: String, values: [String])] {
        guard let query, !query.isEmpty else { return [] }
        var result: [(name: String, values: [String])] = []
        for (rawName, rawValue) in QueryParameters.split(query) {
            let name = formDecode(rawName)
            let value = formDecode(rawValue)
            if let index = result.firstIndex(where: { $0.name == name }) {
                result[index].values.append(value)
            } else {
                result.append((name, [value]))
            }
        }
        return result
    }

    private static func formDecode(_ text: Substring) -> String {
        let spaced = text.contains("+") ? Substring(String(text.map { $0 == "+" ? " " : $0 })) : text
        return PercentDecoding.decode(spaced) ?? String(text)
    }

    private static func pathParameters(_ request: RequestContext, _ json: inout JSONWriter,
                                       nullWhenEmpty: Bool) {
        let parameters = request.pathParameters
        if parameters.isEmpty && nullWhenEmpty {
            json.null()
            return
        }
        json.beginObject()
        for (name, value) in zip(parameters.names, parameters.values) {
            json.key(name)
            json.string(PercentDecoding.decode(value) ?? String(value))
        }
        json.endObject()
    }

    private static func domain(_ request: RequestContext, _ json: inout JSONWriter) {
        var host = request.host.map(String.init) ?? ""
        if !host.hasPrefix("["), let colon = host.lastIndex(of: ":") { host = String(host[..<colon]) }
        json.key("domainName"); json.string(host)
        json.key("domainPrefix"); json.string(host.split(separator: ".", maxSplits: 1).first.map(String.init) ?? host)
    }

    /// Writes the body as text when it is textual UTF-8, else as base64; returns `isBase64Encoded`.
    private static func body(_ request: RequestContext, _ body: ByteBuffer?, _ json: inout JSONWriter,
                             nullWhenAbsent: Bool) -> Bool {
        guard let body, body.readableBytes > 0 else {
            if nullWhenAbsent { json.null() }
            return false
        }
        let bytes = body.readableBytesView
        if isTextual(request.head.headers.first(name: "content-type")),
           let text = String(validating: bytes, as: UTF8.self) {
            json.string(text)
            return false
        }
        json.base64String(bytes)
        return true
    }

    /// `text/*`, JSON, XML, JavaScript and form bodies travel as text (B.3); anything else as base64.
    static func isTextual(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let type = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingASCIIWhitespace().lowercased() } ?? ""
        return type.hasPrefix("text/") || type.contains("json") || type.contains("xml")
            || type == "application/javascript" || type == "application/x-www-form-urlencoded"
    }

    /// `dd/MMM/yyyy:HH:mm:ss +0000`, as API Gateway writes `requestTime`.
    static func requestTime(_ milliseconds: Int64) -> String {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let t = CivilDate.dateTime(epochSeconds: seconds)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(t.day))/\(months[Int(t.month) - 1])/\(t.year):\(two(t.hour)):\(two(t.minute)):\(two(t.second)) +0000"
    }
}
