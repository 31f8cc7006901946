import Foundation
import GatewayCore
import Testing

/// The published vectors of `function-protocols.md` A.7 (computed with botocore), and botocore itself on random
/// requests.
@Suite struct SigV4Tests {
    static let credentials = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let time: Int64 = 1_764_220_800  // 20251127T052000Z
    static let body = Array(#"{"hello":"world"}"#.utf8)

    func authorization(_ path: String, query: [(String, String)] = [], extra: [(String, String)] = [],
                       credentials: AWSCredentials = credentials) -> String {
        let headers = [("Content-Type", "application/json"), ("host", "lambda.us-east-1.amazonaws.com")] + extra
        let added = SigV4.sign(method: "POST", path: path, query: query.map { ($0.0, $0.1) },
                               headers: headers.map { ($0.0, $0.1) }, body: Self.body, credentials: credentials,
                               region: "us-east-1", service: "lambda", epochSeconds: Self.time)
        return added.first { $0.name == "Authorization" }!.value
    }

    @Test func vector1PlainName() {
        #expect(authorization("/2015-03-31/functions/my-function/invocations") == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20251127/us-east-1/lambda/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=9a99c9a8981af2ae28f77e6fb7cdf6e5df1e66325376f63cf234dc01b1dab010")
    }

    @Test func vector1CanonicalRequestAndStringToSign() {
        let canonical = SigV4.canonicalRequest(
            method: "POST", path: "/2015-03-31/functions/my-function/invocations", query: [],
            headers: [("Content-Type", "application/json"), ("host", "lambda.us-east-1.amazonaws.com"),
                      ("X-Amz-Date", "20251127T052000Z")],
            payloadHash: "93a23971a914e5eacbf0a8d25154cda309c3c1c72fbb9914d47c60f3cb681588")
        #expect(canonical == """
            POST
            /2015-03-31/functions/my-function/invocations

            content-type:application/json
            host:lambda.us-east-1.amazonaws.com
            x-amz-date:20251127T052000Z

            content-type;host;x-amz-date
            93a23971a914e5eacbf0a8d25154cda309c3c1c72fbb9914d47c60f3cb681588
            """)
        #expect(SigV4.stringToSign(amzDate: "20251127T052000Z", scope: "20251127/us-east-1/lambda/aws4_request",
                                   canonicalRequest: canonical).hasSuffix("35380e98ec27b860492ef46eb696bea3206957e6f8c3a2385bf789f44e576396"))
    }

    @Test func vector2QualifiedNameIsEncodedTwice() {
        #expect(authorization("/2015-03-31/functions/my-function%3Aprod/invocations").hasSuffix("Signature=8102751da3dc75255d79d9881158c31e764ebffd2b46b03ed911c7aa71dbc687"))
    }

    @Test func vector3QueryAndAmzHeaders() {
        let value = authorization("/2015-03-31/functions/my-function/invocations", query: [("Qualifier", "prod")],
                                  extra: [("X-Amz-Invocation-Type", "Event"), ("X-Amz-Log-Type", "None")])
        #expect(value.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-invocation-type;x-amz-log-type,"))
        #expect(value.hasSuffix("Signature=b1ed2e9a35476f83d9a5f0bbe42e2332d2b83c0592fb7a141c6c64c5a75c737f"))
    }

    @Test func vector4SessionToken() {
        let temporary = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: Self.credentials.secretAccessKey,
                                       sessionToken: "SESSIONTOKENEXAMPLE")
        let value = authorization("/2015-03-31/functions/my-function/invocations", credentials: temporary)
        #expect(value.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"))
        #expect(value.hasSuffix("Signature=58147c43dc5bb6515a3c38674fc7d4d4f78f640b33122d394b1007698d3eb5a9"))
    }

    @Test(arguments: [(Int64(0), "19700101T000000Z"), (Int64(1_764_220_800), "20251127T052000Z"),
                      (Int64(951_868_799), "20000229T235959Z")])
    func timestamps(_ seconds: Int64, _ text: String) {
        #expect(SigV4.timestamp(seconds) == text)
    }

    /// botocore's own `SigV4Auth` (from PyPI) signs the same random requests: names with qualifiers and odd
    /// characters, queries, extra headers, bodies, session tokens. Skipped with the reason when botocore is absent.
    @Test(.enabled(if: Self.botocoreAvailable, "needs python3 with botocore (pip install botocore)"))
    func agreesWithBotocoreOnRandomRequests() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcXYZ019-_.~:$%/ +=&!*'()é")
        func word(_ range: ClosedRange<Int>) -> String {
            String((0..<Int.random(in: range, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
        }
        var cases: [[String: Any]] = []
        for index in 0..<300 {
            let name = "fn-" + String(word(1...12).map { $0 == "/" || $0 == "%" || $0 == "?" || $0 == "#" ? "_" : $0 })
            let path = "/2015-03-31/functions/" + SigV4.uriEncode(name) + "/invocations"
            let query = (0..<Int.random(in: 0...2, using: &generator)).map { _ in [word(1...6), word(0...8)] }
            var headers = [["Content-Type", "application/json"], ["host", "lambda.eu-west-1.amazonaws.com"]]
            if Bool.random(using: &generator) { headers.append(["X-Amz-Invocation-Type", ["Event", "RequestResponse"][index % 2]]) }
            if Bool.random(using: &generator) { headers.append(["X-Amz-Client-Context", "  eyJ  a  \(index) "]) }
            let body = word(0...40)
            let token: String? = Bool.random(using: &generator) ? "TOKEN\(index)" : nil
            let seconds = Int64.random(in: 1_500_000_000...1_900_000_000, using: &generator)
            let credentials = AWSCredentials(accessKeyId: "AKID\(index)", secretAccessKey: "secret/\(word(5...20))",
                                             sessionToken: token)
            let added = SigV4.sign(method: "POST", path: path, query: query.map { ($0[0], $0[1]) },
                                   headers: headers.map { ($0[0], $0[1]) }, body: Array(body.utf8),
                                   credentials: credentials, region: "eu-west-1", service: "lambda", epochSeconds: seconds)
            cases.append(["path": path, "query": query, "headers": headers, "body": body, "key": credentials.accessKeyId,
                          "secret": credentials.secretAccessKey, "token": token as Any, "amzDate": SigV4.timestamp(seconds),
                          "expected": added.first { $0.name == "Authorization" }!.value])
        }
        let input = try JSONSerialization.data(withJSONObject: cases)
        let output = try Self.python(Self.botocoreScript, input: input)
        #expect(output == "ok 300", "\(output)")
    }

    static let botocoreAvailable: Bool = (try? python("import botocore.auth; print('ok')", input: Data())) == "ok"

    static let botocoreScript = #"""
    import json, sys, urllib.parse
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    cases = json.load(sys.stdin)
    bad = []
    for case in cases:
        query = "&".join(urllib.parse.quote(n, safe="-_.~") + "=" + urllib.parse.quote(v, safe="-_.~") for n, v in case["query"])
        url = "https://lambda.eu-west-1.amazonaws.com" + case["path"] + ("?" + query if query else "")
        request = AWSRequest(method="POST", url=url, data=case["body"].encode())
        for name, value in case["headers"]:
            if name != "host":
                request.headers[name] = value
        request.headers["X-Amz-Date"] = case["amzDate"]
        if case["token"]:
            request.headers["X-Amz-Security-Token"] = case["token"]
        auth = SigV4Auth(Credentials(case["key"], case["secret"], case["token"]), "lambda", "eu-west-1")
        request.context["timestamp"] = case["amzDate"]
        canonical = auth.canonical_request(request)
        string_to_sign = auth.string_to_sign(request, canonical)
        signature = auth.signature(string_to_sign, request)
        signed = auth.signed_headers(auth.headers_to_sign(request))
        scope = case["amzDate"][:8] + "/eu-west-1/lambda/aws4_request"
        expected = f"AWS4-HMAC-SHA256 Credential={case['key']}/{scope}, SignedHeaders={signed}, Signature={signature}"
        if expected != case["expected"]:
            bad.append({"case": case, "botocore": expected, "canonical": canonical})
    print(f"ok {len(cases)}" if not bad else json.dumps(bad[:2]))
    """#

    static func python(_ script: String, input: Data) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
