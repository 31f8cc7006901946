import Testing
@testable import GatewayCore

@Suite struct GatewayErrorCodeTests {
    @Test func statusesAndTitlesFollowTheContract() {
        let expected: [(GatewayErrorCode, String, Int, String)] = [
            (.resourceNotFound, "RESOURCE_NOT_FOUND", 404, "Not Found"),
            (.methodNotAllowed, "METHOD_NOT_ALLOWED", 405, "Method Not Allowed"),
            (.badRequest, "BAD_REQUEST", 400, "Bad Request"),
            (.badRequestBody, "BAD_REQUEST_BODY", 400, "Bad Request"),
            (.badRequestParameters, "BAD_REQUEST_PARAMETERS", 400, "Bad Request"),
            (.unsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported Media Type"),
            (.requestTooLarge, "REQUEST_TOO_LARGE", 413, "Content Too Large"),
            (.requestHeadersTooLarge, "REQUEST_HEADERS_TOO_LARGE", 431, "Request Header Fields Too Large"),
            (.misdirectedRequest, "MISDIRECTED_REQUEST", 421, "Misdirected Request"),
            (.invalidAPIKey, "INVALID_API_KEY", 403, "Forbidden"),
            (.throttled, "THROTTLED", 429, "Too Many Requests"),
            (.quotaExceeded, "QUOTA_EXCEEDED", 429, "Too Many Requests"),
            (.wafFiltered, "WAF_FILTERED", 403, "Forbidden"),
            (.integrationFailure, "INTEGRATION_FAILURE", 502, "Bad Gateway"),
            (.integrationTimeout, "INTEGRATION_TIMEOUT", 504, "Gateway Timeout"),
            (.unauthorized, "UNAUTHORIZED", 401, "Unauthorized"),
            (.invalidConfig, "INVALID_CONFIG", 400, "Bad Request"),
            // Portcullis's addition (admin API, fleet mode): Redis could not carry a flush to the other instances.
            (.stateStoreUnavailable, "STATE_STORE_UNAVAILABLE", 503, "Service Unavailable"),
        ]
        #expect(expected.count == GatewayErrorCode.allCases.count)
        for (code, raw, status, title) in expected {
            #expect(code.rawValue == raw)
            #expect(code.status == status, "\(raw)")
            #expect(code.title == title, "\(raw)")
        }
    }

    @Test func reasonPhrasesForOverriddenStatuses() {
        #expect(GatewayErrorCode.reasonPhrase(404) == "Not Found")
        #expect(GatewayErrorCode.reasonPhrase(503) == "Service Unavailable")
        #expect(GatewayErrorCode.reasonPhrase(499) == "Error")
    }
}
