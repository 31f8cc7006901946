import JSONSchema

/// A function's result read as the HTTP response API Gateway would send (`function-protocols.md` B.4).
public struct FunctionResponse: Sendable, Equatable {
    public var status: Int
    /// In order; `Set-Cookie` once per cookie.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public static func == (a: FunctionResponse, b: FunctionResponse) -> Bool {
        a.status == b.status && a.body == b.body && a.headers.elementsEqual(b.headers) { $0 == $1 }
    }

    /// Why a result is not a response: the access log and the gateway's log say it, the client gets a 502.
    public struct Malformed: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Longest body a function may return: Lambda's synchronous response limit.
    public static let maxResultBytes = 6 * 1024 * 1024

    public static func map(_ result: some Collection<UInt8>, format: PayloadFormat) -> Result<FunctionResponse, Malformed> {
        let value: JSONInstance
        do {
            value = try JSONInstance.parse(result)
        } catch {
            return .failure(Malformed("the function's result is not JSON: \(error)"))
        }
        switch format {
        case .v1:
            guard case .object(let object) = value else {
                return .failure(Malformed("a 1.0 result must be a JSON object with statusCode (got \(value.typeName))"))
            }
            return proxy(object, format: .v1)
        case .v2:
            if case .object(let object) = value, object["statusCode"] != nil { return proxy(object, format: .v2) }
            // Inference (B.4): any other JSON is a 200 JSON body; a top-level string is sent without its quotes.
            let body: [UInt8]
            if case .string(let text) = value { body = Array(text.utf8) } else { body = Array(result) }
            return .success(FunctionResponse(status: 200, headers: [("content-type", "application/json")], body: body))
        }
    }

    private static let version1Keys: Set<String> = ["statusCode", "headers", "multiValueHeaders", "body",
                                                    "isBase64Encoded", "base64Encoded"]

    private static func proxy(_ object: JSONObject, format: PayloadFormat) -> Result<FunctionResponse, Malformed> {
        if format == .v1, let unknown = object.keys.first(where: { !version1Keys.contains($0) }) {
            return .failure(Malformed("a 1.0 result may not have \"\(unknown)\""))
        }
        guard let statusNumber = object["statusCode"]?.numberValue, let status = statusNumber.intValue,
              (100...599).contains(status) else {
            return .failure(Malformed("statusCode must be an integer from 100 to 599"))
        }
        var headers: [(name: String, value: String)] = []
        if let value = object["headers"], value != .null {
            guard case .object(let fields) = value else { return .failure(Malformed("headers must be an object")) }
            for (name, field) in zip(fields.keys, fields.values) {
                guard let text = scalarText(field) else {
                    return .failure(Malformed("headers.\(name) must be a string"))
                }
                headers.append((name, text))
            }
        }
        if format == .v1, let value = object["multiValueHeaders"], value != .null {
            guard case .object(let fields) = value else {
                return .failure(Malformed("multiValueHeaders must be an object"))
            }
            for (name, field) in zip(fields.keys, fields.values) {
                guard case .array(let items) = field else {
                    return .failure(Malformed("multiValueHeaders.\(name) must be an array"))
                }
                for item in items {
                    guard let text = scalarText(item) else {
                        return .failure(Malformed("multiValueHeaders.\(name) must hold strings"))
                    }
                    // A pair already given in `headers` is sent once.
                    if !headers.contains(where: { $0.name.equalsASCIICaseInsensitive(name) && $0.value == text }) {
                        headers.append((name, text))
                    }
                }
            }
        }
        if format == .v2, let value = object["cookies"], value != .null {
            guard case .array(let cookies) = value else { return .failure(Malformed("cookies must be an array")) }
            for cookie in cookies {
                guard case .string(let text) = cookie else { return .failure(Malformed("cookies must hold strings")) }
                headers.append(("set-cookie", text))
            }
        }
        for (name, value) in headers {
            guard HTTPToken.isToken(name), !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
                return .failure(Malformed("header \"\(name)\" is not a valid HTTP field"))
            }
        }
        var base64 = false
        for flag in ["isBase64Encoded", "base64Encoded"] where object[flag] != nil && object[flag] != .null {
            guard let value = object[flag]?.boolValue else { return .failure(Malformed("\(flag) must be a boolean")) }
            base64 = base64 || value
        }
        var body: [UInt8] = []
        if let value = object["body"], value != .null {
            guard case .string(let text) = value else { return .failure(Malformed("body must be a string")) }
            if base64 {
                guard let decoded = Base64.decode(text) else { return .failure(Malformed("body is not valid base64")) }
                body = decoded
            } else {
                body = Array(text.utf8)
            }
        }
        // API Gateway sends JSON when the function names no type.
        if !headers.contains(where: { $0.name.equalsASCIICaseInsensitive("content-type") }) {
            headers.insert(("content-type", "application/json"), at: 0)
        }
        return .success(FunctionResponse(status: status, headers: headers, body: body))
    }

    /// Header values are strings; numbers and booleans are accepted as their JSON text, as API Gateway does.
    private static func scalarText(_ value: JSONInstance) -> String? {
        switch value {
        case .string(let text): text
        case .number(let number): number.description
        case .bool(let flag): flag ? "true" : "false"
        default: nil
        }
    }
}

/// A function that failed (its handler raised, it crashed, timed out or could not start): the type and message
/// go to the access log and the gateway's log, never to the client.
public struct FunctionError: Error, Sendable, Equatable {
    public let type: String
    public let message: String

    public init(type: String, message: String) {
        self.type = type
        self.message = message
    }

    /// The runtime's error object (`{"errorType","errorMessage",...}`), or what can be said about other bodies.
    public static func parse(_ body: some Collection<UInt8>, typeHeader: String? = nil) -> FunctionError {
        let object = (try? JSONInstance.parse(body))?.objectValue
        let type = typeHeader ?? object?["errorType"]?.stringValue ?? "Function.Error"
        let message = object?["errorMessage"]?.stringValue ?? String(decoding: body.prefix(512), as: UTF8.self)
        return FunctionError(type: type, message: message)
    }
}
