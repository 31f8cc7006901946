import GatewayCore
import Testing

@Suite struct ValidationViolationTests {
    @Test func encodesTheContractsErrorsList() {
        let violations = [
            ValidationViolation(location: .body, pointer: "/items/0/qty", keyword: "minimum", message: "must be >= 1"),
            ValidationViolation(location: .query, name: "dryRun", keyword: "type", message: "must be boolean"),
        ]
        let members = ValidationViolation.problemExtensions(violations, truncated: false)
        #expect(members.count == 1)
        #expect(members[0].0 == "errors")
        #expect(members[0].1 == #"[{"in":"body","pointer":"/items/0/qty","keyword":"minimum","message":"must be >= 1"},{"in":"query","name":"dryRun","keyword":"type","message":"must be boolean"}]"#)
    }

    @Test func truncationIsSaidAndTextIsEscaped() {
        let members = ValidationViolation.problemExtensions(
            [ValidationViolation(location: .header, name: "x-\"q\"", keyword: "pattern", message: "must match \"^a\\\\d$\"")],
            truncated: true)
        #expect(members.map(\.0) == ["errors", "errorsTruncated"])
        #expect(members[0].1 == #"[{"in":"header","name":"x-\"q\"","keyword":"pattern","message":"must match \"^a\\\\d$\""}]"#)
        #expect(members[1].1 == "true")
    }

    @Test func aProblemDocumentCarriesThem() {
        let document = ProblemDocument(code: .badRequestBody, detail: "the request body is invalid", requestId: "r1",
                                       extensions: ValidationViolation.problemExtensions([], truncated: false))
        #expect(String(decoding: document.encoded(), as: UTF8.self).hasSuffix(#","requestId":"r1","errors":[]}"#))
    }
}
