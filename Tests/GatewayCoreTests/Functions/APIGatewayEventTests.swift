import Foundation
import NIOCore
import NIOHTTP1
import Testing
@testable import GatewayCore

/// Events checked field by field against `function-protocols.md` B.6 (what Powertools and Mangum parsed unchanged).
@Suite struct APIGatewayEventTests {
    static let received: Int64 = 1_764_220_800_000  // 27/Nov/2025:05:20:00 +0000

    func routed(_ method: HTTPMethod, _ target: String, headers: [(String, String)], body: String? = nil,
                key: RouteKey, parameters: [(String, String)]) -> RequestContext {
        var request = TestRequest.make(method, target, host: "abc123.execute-api.us-east-1.amazonaws.com",
                                       headers: headers, peer: "203.0.113.7",
                                       framing: body.map { .contentLength($0.utf8.count) } ?? .none)
        request.route = CompiledRoute(key: key, integration: .mock(MockIntegration(status: 200, headers: [], body: [])),
                                      timeout: .seconds(29))
        request.routePath = request.path
        for (name, value) in parameters { request.pathParameters.append(name, Substring(value)) }
        return request
    }

    func event(_ format: PayloadFormat, _ request: RequestContext, body: String? = nil) throws -> [String: Any] {
        let bytes = APIGatewayEvent.encode(format, request: request, body: body.map { ByteBuffer(string: $0) },
                                           context: FunctionEventContext(apiName: "abc123", scheme: "https", port: 443,
                                                                         httpProtocol: "HTTP/1.1",
                                                                         receivedAtMilliseconds: Self.received))
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func version2MatchesTheHTTPAPIEvent() throws {
        let request = routed(.POST, "/hello/alice?a=1&a=2",
                             headers: [("Accept", "application/json"), ("Content-Type", "application/json"),
                                       ("Cookie", "c1=v1; c2=v2"), ("User-Agent", "curl/8.5.0"),
                                       ("X-Multi", "one"), ("X-Multi", "two")],
                             body: #"{"sku": 7}"#,
                             key: RouteKey(method: .post, segments: [.literal("hello"), .parameter("name")]),
                             parameters: [("name", "alice")])
        let e = try event(.v2, request, body: #"{"sku": 7}"#)
        #expect(e["version"] as? String == "2.0")
        #expect(e["routeKey"] as? String == "POST /hello/{name}")
        #expect(e["rawPath"] as? String == "/hello/alice")
        #expect(e["rawQueryString"] as? String == "a=1&a=2")
        #expect(e["cookies"] as? [String] == ["c1=v1", "c2=v2"])
        let headers = try #require(e["headers"] as? [String: String])
        #expect(headers["accept"] == "application/json" && headers["x-multi"] == "one,two" && headers["cookie"] == nil)
        #expect(headers["x-forwarded-for"] == "203.0.113.7" && headers["x-forwarded-proto"] == "https")
        #expect(headers["x-forwarded-port"] == "443" && headers["content-length"] == "10")
        #expect(e["queryStringParameters"] as? [String: String] == ["a": "1,2"])
        #expect(e["pathParameters"] as? [String: String] == ["name": "alice"])
        #expect(e["body"] as? String == #"{"sku": 7}"# && e["isBase64Encoded"] as? Bool == false)
        #expect(e["stageVariables"] == nil && e["multiValueHeaders"] == nil)
        let context = try #require(e["requestContext"] as? [String: Any])
        #expect(context["apiId"] as? String == "abc123" && context["stage"] as? String == "$default")
        #expect(context["domainName"] as? String == "abc123.execute-api.us-east-1.amazonaws.com")
        #expect(context["domainPrefix"] as? String == "abc123")
        #expect(context["routeKey"] as? String == "POST /hello/{name}")
        #expect(context["requestId"] as? String == TestRequest.requestId)
        #expect(context["time"] as? String == "27/Nov/2025:05:20:00 +0000")
        #expect(context["timeEpoch"] as? Int64 == Self.received)
        #expect(context["accountId"] as? String == "000000000000")
        let http = try #require(context["http"] as? [String: String])
        #expect(http == ["method": "POST", "path": "/hello/alice", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7",
                         "userAgent": "curl/8.5.0"])
    }

    @Test func version2LeavesOutWhatIsAbsent() throws {
        let request = routed(.GET, "/ping", headers: [], key: RouteKey(method: .get, segments: [.literal("ping")]),
                             parameters: [])
        let e = try event(.v2, request)
        for absent in ["cookies", "queryStringParameters", "pathParameters", "body", "stageVariables"] {
            #expect(e[absent] == nil, "\(absent)")
        }
        #expect(e["rawQueryString"] as? String == "" && e["isBase64Encoded"] as? Bool == false)
    }

    @Test func version1MatchesTheRESTAPIEvent() throws {
        let request = routed(.GET, "/hello/bob?a=1&a=2&b=x",
                             headers: [("Accept", "application/json"), ("Cookie", "a=1; b=2"), ("User-Agent", "curl/8.5.0"),
                                       ("X-Forwarded-For", "6.6.6.6")],
                             key: RouteKey(method: .get, segments: [.literal("hello"), .parameter("name")]),
                             parameters: [("name", "bob")])
        let e = try event(.v1, request)
        #expect(e["version"] == nil)
        #expect(e["resource"] as? String == "/hello/{name}" && e["path"] as? String == "/hello/bob")
        #expect(e["httpMethod"] as? String == "GET")
        let headers = try #require(e["headers"] as? [String: String])
        #expect(headers["Accept"] == "application/json" && headers["Cookie"] == "a=1; b=2")
        // A spoofed X-Forwarded-For is replaced by the client the gateway saw.
        #expect(headers["X-Forwarded-For"] == "203.0.113.7" && headers["X-Forwarded-Proto"] == "https")
        let multi = try #require(e["multiValueHeaders"] as? [String: [String]])
        #expect(multi["User-Agent"] == ["curl/8.5.0"] && multi["host"] == ["abc123.execute-api.us-east-1.amazonaws.com"])
        #expect(e["queryStringParameters"] as? [String: String] == ["a": "2", "b": "x"])
        #expect(e["multiValueQueryStringParameters"] as? [String: [String]] == ["a": ["1", "2"], "b": ["x"]])
        #expect(e["pathParameters"] as? [String: String] == ["name": "bob"])
        #expect(e["stageVariables"] is NSNull && e["body"] is NSNull && e["isBase64Encoded"] as? Bool == false)
        let context = try #require(e["requestContext"] as? [String: Any])
        #expect(context["resourcePath"] as? String == "/hello/{name}" && context["httpMethod"] as? String == "GET")
        #expect(context["requestTime"] as? String == "27/Nov/2025:05:20:00 +0000")
        #expect(context["requestTimeEpoch"] as? Int64 == Self.received && context["protocol"] as? String == "HTTP/1.1")
        let identity = try #require(context["identity"] as? [String: Any])
        #expect(identity["sourceIp"] as? String == "203.0.113.7" && identity["userAgent"] as? String == "curl/8.5.0")
        #expect(identity["apiKey"] is NSNull && identity["cognitoIdentityId"] is NSNull)
    }

    @Test func version1HasNullsWhereThereIsNothing() throws {
        let e = try event(.v1, routed(.GET, "/", headers: [], key: .catchAll, parameters: []))
        #expect(e["queryStringParameters"] is NSNull && e["multiValueQueryStringParameters"] is NSNull)
        #expect(e["pathParameters"] is NSNull && e["resource"] as? String == "/{proxy+}")
    }

    @Test func queryValuesAreDecodedPlusAsSpace() throws {
        let request = routed(.GET, "/s?q=a+b%26c&empty&x=%E2%9C%93", headers: [], key: .catchAll, parameters: [])
        let e = try event(.v1, request)
        #expect(e["queryStringParameters"] as? [String: String] == ["q": "a b&c", "empty": "", "x": "✓"])
        #expect(try event(.v2, request)["rawQueryString"] as? String == "q=a+b%26c&empty&x=%E2%9C%93")
    }

    @Test func textualBodiesTravelAsTextAndOthersAsBase64() throws {
        let text = routed(.POST, "/u", headers: [("Content-Type", "text/plain; charset=utf-8")], body: "héllo",
                          key: .catchAll, parameters: [])
        let t = try event(.v2, text, body: "héllo")
        #expect(t["body"] as? String == "héllo" && t["isBase64Encoded"] as? Bool == false)
        let binary = routed(.POST, "/u", headers: [("Content-Type", "application/octet-stream")], body: "hi",
                            key: .catchAll, parameters: [])
        let b = try event(.v1, binary, body: "hi")
        #expect(b["body"] as? String == "aGk=" && b["isBase64Encoded"] as? Bool == true)
        let untyped = routed(.POST, "/u", headers: [], body: "{}", key: .catchAll, parameters: [])
        #expect(try event(.v2, untyped, body: "{}")["isBase64Encoded"] as? Bool == true)
    }

    @Test func hostileHeaderValuesStayInsideTheirStrings() throws {
        let request = routed(.GET, "/x", headers: [("X-Evil", "\",\"injected\":\"1\\"), ("X-Ctl", "a\u{1}b")],
                             key: .catchAll, parameters: [])
        let e = try event(.v2, request)
        let headers = try #require(e["headers"] as? [String: String])
        #expect(headers["x-evil"] == "\",\"injected\":\"1\\" && headers["x-ctl"] == "a\u{1}b" && e["injected"] == nil)
    }

    @Test(arguments: [(Int64(0), "01/Jan/1970:00:00:00 +0000"), (Int64(951_782_400_000), "29/Feb/2000:00:00:00 +0000"),
                      (Int64(1_764_220_859_999), "27/Nov/2025:05:20:59 +0000")])
    func requestTimeIsAPIGatewaysFormat(_ milliseconds: Int64, _ text: String) {
        #expect(APIGatewayEvent.requestTime(milliseconds) == text)
    }
}
