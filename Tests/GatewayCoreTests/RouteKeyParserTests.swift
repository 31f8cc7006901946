import Testing
@testable import GatewayCore

@Suite struct RouteKeyParserTests {
    func parsed(_ text: String) -> RouteKey? { try? RouteKey.parse(text).get() }

    func error(_ text: String) -> String? {
        if case .failure(let e) = RouteKey.parse(text) { return e.message }
        return nil
    }

    @Test func parsesLiteralsParametersAndGreedy() {
        #expect(parsed("GET /orders/{id}") == RouteKey(method: .get, segments: [.literal("orders"), .parameter("id")]))
        #expect(parsed("ANY /legacy/{proxy+}") == RouteKey(method: .any, segments: [.literal("legacy"), .greedy("proxy")]))
        #expect(parsed("POST /") == RouteKey(method: .post, segments: []))
        #expect(parsed("$default") == RouteKey.catchAll)
        #expect(parsed("OPTIONS /a:b/@x/%C3%A9~") == RouteKey(method: .options, segments: [.literal("a:b"), .literal("@x"), .literal("%C3%A9~")]))
    }

    @Test(arguments: ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"])
    func acceptsEveryContractMethod(_ method: String) {
        #expect(parsed("\(method) /x")?.method.rawValue == method)
    }

    @Test func descriptionRoundTrips() {
        for text in ["GET /orders/{id}", "ANY /", "$default", "PUT /a/{b}/c/{rest+}"] {
            #expect(parsed(text)?.description == text)
        }
    }

    @Test func preciseErrors() {
        #expect(error("FETCH /a") == "unknown method \"FETCH\" (expected GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY)")
        #expect(error("get /a") == "unknown method \"get\" (methods are uppercase: \"GET\")")
        #expect(error("GET /{proxy+}/x") == "greedy parameter {proxy+} must be the last segment")
        #expect(error("GET /{id}/x/{id}") == "duplicate parameter name \"id\"")
        #expect(error("GET /{id}/{id+}") == "duplicate parameter name \"id\"")
        #expect(error("GET /a//b") == "empty path segment in \"/a//b\"")
        #expect(error("GET /a/") == "empty path segment: remove the trailing \"/\" (\"/a\" also matches \"/a/\")")
        #expect(error("GET a") == "path must start with \"/\" (got \"a\")")
        #expect(error("GET") == "expected \"METHOD /path\" or \"$default\" (got \"GET\")")
        #expect(error("/a") == "missing method (expected \"METHOD /a\", e.g. \"GET /a\")")
        #expect(error("") == "route key is empty (expected \"METHOD /path\" or \"$default\")")
        #expect(error("GET  /a") == "expected exactly one space between method and path")
        #expect(error("GET /a ") == "expected exactly one space between method and path")
        #expect(error(" GET /a") == "missing method before the path")
        #expect(error("GET $default") == "$default takes no method (write \"$default\")")
        #expect(error("GET /v{id}") == "parameter must be a whole segment: \"v{id}\" (write \"{name}\")")
        #expect(error("GET /{id") == "parameter must be a whole segment: \"{id\" (write \"{name}\")")
        #expect(error("GET /{}") == "empty parameter name in \"{}\"")
        #expect(error("GET /{+}") == "empty parameter name in \"{+}\"")
        #expect(error("GET /{a.b}") == "invalid parameter name \"a.b\" in \"{a.b}\" (use letters, digits, \"_\" and \"-\")")
        #expect(error("GET /a?b=1") == "route path must not contain a query string (\"?\")")
        #expect(error("GET /a b") == "invalid character U+20 in path segment \"a b\"")
        // Requests are matched in normal form, so a literal that is not in it could never match one.
        #expect(error("GET /files/%7Ereports") == "path segment \"%7Ereports\" is not in normal form (write \"~reports\"): requests are matched after unreserved escapes are decoded and hex is upper-cased")
        #expect(error("GET /caf%c3%a9")?.contains("(write \"caf%C3%A9\")") == true)
        #expect(error("GET /a%2Fb")?.hasPrefix("path segment \"a%2Fb\" can never match") == true)
        #expect(error("GET /a;x/..;")?.hasPrefix("path segment \"..;\" can never match") == true)
        #expect(error("GET /café") == "invalid character \"é\" in path segment \"café\" (percent-encode it: \"%C3%A9\")")
        #expect(error("GET /a\tb") == "invalid character U+9 in path segment \"a\tb\"")
        #expect(error("GET /a#b") == "invalid character \"#\" in path segment \"a#b\"")
        #expect(error("GET /./a") == "path segment \".\" is not allowed")
        #expect(error("GET /a/..") == "path segment \"..\" is not allowed")
        #expect(error("$DEFAULT") == "expected \"METHOD /path\" or \"$default\" (got \"$DEFAULT\")")
    }
}
