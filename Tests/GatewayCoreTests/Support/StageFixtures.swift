import Foundation
import GatewayConfig
import GatewayCore
import NIOCore
import NIOHTTP1
import Testing

/// Stages built the way the gateway builds them: a gateway.json text compiled into a snapshot, and the stage taken
/// out of that snapshot's pipeline, so a test exercises exactly what the config produces.
enum StageFixture {
    /// `{"listen": …}` plus the given top-level members (which name their own `apis`).
    static func config(_ members: String) -> String {
        #"{"listen": {"http": "127.0.0.1:8080"}, "# + members + "}"
    }

    static func snapshot(_ json: String, state: GatewayState = GatewayState(),
                         sourceLocation: SourceLocation = #_sourceLocation) throws -> GatewaySnapshot {
        let result = ConfigLoader.compile(data: Array(json.utf8), sourcePath: "/etc/portcullis/gateway.json",
                                          environment: [:], state: state)
        #expect(result.errors.isEmpty, "\(result.diagnostics)", sourceLocation: sourceLocation)
        return try #require(result.snapshot, "\(result.diagnostics)", sourceLocation: sourceLocation)
    }

    /// The snapshot's own instance of stage type `S`.
    static func stage<S: RequestStage>(_: S.Type, in snapshot: GatewaySnapshot,
                                       sourceLocation: SourceLocation = #_sourceLocation) throws -> S {
        try #require(snapshot.pipeline.stages.first { $0 is S } as? S, "no \(S.self) in the pipeline",
                     sourceLocation: sourceLocation)
    }

    static func stage<S: RequestStage>(_ type: S.Type, config json: String,
                                       sourceLocation: SourceLocation = #_sourceLocation) throws -> S {
        try stage(type, in: snapshot(json, sourceLocation: sourceLocation), sourceLocation: sourceLocation)
    }
}

/// A request as the edge hands it to the pipeline: parsed head, normalised path, framing already validated.
enum TestRequest {
    static let requestId = "req-test-1"

    /// `target` is the origin-form target ("/a/b?x=1"); `framing` also adds the matching framing header.
    static func make(_ method: HTTPMethod = .GET, _ target: String, host: String? = "gw.test",
                     headers: [(String, String)] = [], peer: String = "198.51.100.20",
                     framing: RequestBodyFraming = .none, presentedNames: [String]? = nil,
                     requestId: String = requestId) -> RequestContext {
        var fields = HTTPHeaders()
        if let host { fields.add(name: "host", value: host) }
        for (name, value) in headers { fields.add(name: name, value: value) }
        switch framing {
        case .none: break
        case .contentLength(let length): fields.add(name: "content-length", value: String(length))
        case .chunked: fields.add(name: "transfer-encoding", value: "chunked")
        }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: target, headers: fields)
        let question = target.firstIndex(of: "?")
        let rawPath = question.map { target[..<$0] } ?? target[...]
        let query = question.map { target[target.index(after: $0)...] }
        let normal: Substring
        switch RequestPath.normalForm(rawPath) {
        case .success(let path): normal = Substring(path)
        case .failure(let rejection): preconditionFailure("the edge refuses \(target): \(rejection.detail)")
        }
        guard let peerAddress = IPAddress(peer) else { preconditionFailure("not an IP address: \(peer)") }
        return RequestContext(head: head, peer: peerAddress, host: host.map { Substring($0) }, path: normal,
                              rawPath: rawPath, query: query, framing: framing, presentedNames: presentedNames,
                              requestId: requestId)
    }
}

extension StageVerdict {
    var isNext: Bool {
        if case .next = self { return true }
        return false
    }

    var answer: GatewayAnswer? {
        if case .respond(let answer) = self { return answer }
        return nil
    }

    var readBodyLimit: Int? {
        if case .readBody(let limit) = self { return limit }
        return nil
    }
}

extension RequestPipeline.Stop {
    var isIntegrate: Bool {
        if case .integrate = self { return true }
        return false
    }

    var answer: GatewayAnswer? {
        if case .respond(let answer) = self { return answer }
        return nil
    }

    var readBody: (limit: Int, resumeAt: Int)? {
        if case .readBody(let limit, let resumeAt) = self { return (limit, resumeAt) }
        return nil
    }

    var suspend: (operation: any PendingOperation, resumeAt: Int)? {
        if case .suspend(let operation, let resumeAt) = self { return (operation, resumeAt) }
        return nil
    }
}

/// A problem answer with its body parsed: what a client would read.
struct ParsedProblem {
    let answer: GatewayAnswer
    let json: [String: Any]

    var detail: String? { json["detail"] as? String }

    /// The `errors` extension, each violation's members as strings (`in`, `name`, `pointer`, `keyword`, `message`).
    var violations: [[String: String]]? {
        (json["errors"] as? [[String: Any]])?.map { $0.compactMapValues { $0 as? String } }
    }

    /// The raw `errors` members, to check no member is other than a string.
    var rawViolations: [[String: Any]]? { json["errors"] as? [[String: Any]] }
}

/// Checks that `answer` is exactly the RFC 9457 problem described, and returns it parsed for further checks.
/// `extensions` names the members beyond the standard six (e.g. `errors`); no other member may appear.
@discardableResult
func expectProblem(_ answer: GatewayAnswer?, status: Int, code: GatewayErrorCode,
                   connection: GatewayAnswer.Connection, detail: String? = nil,
                   requestId: String = TestRequest.requestId, headers: [String] = [], extensions: Set<String> = [],
                   sourceLocation: SourceLocation = #_sourceLocation) throws -> ParsedProblem {
    let answer = try #require(answer, "expected a \(status) answer", sourceLocation: sourceLocation)
    #expect(answer.status == status, sourceLocation: sourceLocation)
    #expect(answer.errorCode == code, sourceLocation: sourceLocation)
    #expect(answer.connection == connection, sourceLocation: sourceLocation)
    #expect(answer.contentType == "application/problem+json", sourceLocation: sourceLocation)
    #expect(answer.headers.map { "\($0.name): \($0.value)" } == headers, sourceLocation: sourceLocation)
    let object = try JSONSerialization.jsonObject(with: Data(answer.body))
    let json = try #require(object as? [String: Any], "the problem body is a JSON object", sourceLocation: sourceLocation)
    #expect(Set(json.keys) == Set(["type", "title", "status", "code", "detail", "requestId"]).union(extensions),
            sourceLocation: sourceLocation)
    #expect(json["type"] as? String == "about:blank", sourceLocation: sourceLocation)
    #expect(json["title"] as? String == GatewayErrorCode.reasonPhrase(status), sourceLocation: sourceLocation)
    #expect(json["status"] as? Int == status, sourceLocation: sourceLocation)
    #expect(json["code"] as? String == code.rawValue, sourceLocation: sourceLocation)
    #expect(json["requestId"] as? String == requestId, sourceLocation: sourceLocation)
    if let detail {
        #expect(json["detail"] as? String == detail, sourceLocation: sourceLocation)
    } else {
        #expect((json["detail"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
    }
    return ParsedProblem(answer: answer, json: json)
}

/// The context fields RoutingStage writes, untouched (for stages that must not route or answer).
func expectUnrouted(_ request: RequestContext, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(request.apiIndex == -1 && request.routeIndex == -1, sourceLocation: sourceLocation)
    #expect(request.route == nil && request.routePath.isEmpty && request.pathParameters.isEmpty,
            sourceLocation: sourceLocation)
}
