import Foundation
import Testing

/// Checks an RFC 9457 problem response the gateway made: media type, every contract field, the request id
/// matching `X-Request-Id`, and (when given) whether it announces `Connection: close`.
@discardableResult
func expectProblem(_ response: RawResponse, status: Int, code: String, close: Bool? = nil,
                   sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
    #expect(response.status == status, "status", sourceLocation: sourceLocation)
    #expect(response.header("content-type") == "application/problem+json", sourceLocation: sourceLocation)
    let json = try JSON.parse(response.body)
    #expect(json["type"]?.string == "about:blank", sourceLocation: sourceLocation)
    #expect(json["title"]?.string?.isEmpty == false, sourceLocation: sourceLocation)
    #expect(json["status"]?.int == status, sourceLocation: sourceLocation)
    #expect(json["code"]?.string == code, "body: \(response.bodyText)", sourceLocation: sourceLocation)
    #expect(json["detail"]?.string?.isEmpty == false, sourceLocation: sourceLocation)
    let requestId = try #require(response.header("x-request-id"), sourceLocation: sourceLocation)
    #expect(json["requestId"]?.string == requestId, sourceLocation: sourceLocation)
    if let close {
        #expect(response.closesConnection == close, "Connection: close expected \(close)", sourceLocation: sourceLocation)
    }
    return json
}

/// A fresh connection still gets a 200 from `path` (the gateway survived whatever came before).
func expectStillServing(port: Int, path: String = "/ping", sourceLocation: SourceLocation = #_sourceLocation) throws {
    let response = try exchange(port: port, get(path))
    #expect(response.status == 200, "gateway no longer serving: \(response.status)", sourceLocation: sourceLocation)
}

/// Resident set size of this process in bytes (gateway and test share it).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
