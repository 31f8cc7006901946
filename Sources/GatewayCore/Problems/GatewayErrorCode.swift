/// The `code` values of the gateway's own problem+json responses (contract: "Error responses").
public enum GatewayErrorCode: String, Sendable, CaseIterable {
    case resourceNotFound = "RESOURCE_NOT_FOUND"
    case methodNotAllowed = "METHOD_NOT_ALLOWED"
    case badRequest = "BAD_REQUEST"
    case badRequestBody = "BAD_REQUEST_BODY"
    case badRequestParameters = "BAD_REQUEST_PARAMETERS"
    case unsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
    case requestTooLarge = "REQUEST_TOO_LARGE"
    case requestHeadersTooLarge = "REQUEST_HEADERS_TOO_LARGE"
    case misdirectedRequest = "MISDIRECTED_REQUEST"
    case invalidAPIKey = "INVALID_API_KEY"
    case throttled = "THROTTLED"
    case quotaExceeded = "QUOTA_EXCEEDED"
    case wafFiltered = "WAF_FILTERED"
    case integrationFailure = "INTEGRATION_FAILURE"
    case integrationTimeout = "INTEGRATION_TIMEOUT"
    case unauthorized = "UNAUTHORIZED"
    case invalidConfig = "INVALID_CONFIG"
    /// Fleet mode, admin API: Redis could not carry an operation to the other instances.
    case stateStoreUnavailable = "STATE_STORE_UNAVAILABLE"

    /// The HTTP status this code is sent with by default.
    public var status: Int {
        switch self {
        case .resourceNotFound: 404
        case .methodNotAllowed: 405
        case .badRequest, .badRequestBody, .badRequestParameters: 400
        case .unsupportedMediaType: 415
        case .requestTooLarge: 413
        case .requestHeadersTooLarge: 431
        case .misdirectedRequest: 421
        case .invalidAPIKey: 403
        case .throttled, .quotaExceeded: 429
        case .wafFiltered: 403
        case .integrationFailure: 502
        case .integrationTimeout: 504
        case .unauthorized: 401
        case .invalidConfig: 400
        case .stateStoreUnavailable: 503
        }
    }

    /// The problem `title`: the standard reason phrase of `status`.
    public var title: String { GatewayErrorCode.reasonPhrase(status) }

    /// Reason phrase for a status (also used when `status` is overridden, e.g. WAF `blockStatus`).
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 402: "Payment Required"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 407: "Proxy Authentication Required"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 411: "Length Required"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 416: "Range Not Satisfiable"
        case 417: "Expectation Failed"
        case 418: "I'm a teapot"
        case 421: "Misdirected Request"
        case 422: "Unprocessable Content"
        case 423: "Locked"
        case 424: "Failed Dependency"
        case 425: "Too Early"
        case 426: "Upgrade Required"
        case 428: "Precondition Required"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 451: "Unavailable For Legal Reasons"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Error"
        }
    }
}
