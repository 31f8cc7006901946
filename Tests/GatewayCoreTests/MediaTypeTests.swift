import GatewayCore
import Testing

@Suite struct MediaTypeTests {
    @Test func jsonAndStructuredSuffixesAreJSON() {
        for type in ["application/json", "Application/JSON", "application/json; charset=utf-8", " application/json ",
                     "application/merge-patch+json", "application/vnd.api+json;v=1", "text/x-custom+json"] {
            #expect(MediaType.isJSON(Substring(type)), "\(type)")
        }
    }

    @Test func otherTypesAreNot() {
        for type in ["text/plain", "application/x-www-form-urlencoded", "application/jsonx", "json", "application/",
                     "/json", "application/json/x", "multipart/form-data; boundary=json", ""] {
            #expect(!MediaType.isJSON(Substring(type)), "\(type)")
        }
    }
}
