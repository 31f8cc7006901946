import GatewayCore
import Testing

@Suite struct MediaTypeTests {
    @Test func jsonAndStructuredSuffixesAreJSON() {
        for type in ["application/json", "Application/JSON", "application/json; charset=utf-8", " application/json ",
                     "application/merge-patch+json", "application/vnd.api+json;v=1", "text/x-custom+json",
                     "\tapplication/JSON\t;charset=utf-8", "APPLICATION/PROBLEM+JSON"] {
            #expect(MediaType.isJSON(Substring(type)), "\(type)")
        }
    }

    @Test func otherTypesAreNot() {
        for type in ["text/plain", "application/x-www-form-urlencoded", "application/jsonx", "json", "application/",
                     "/json", "application/json/x", "multipart/form-data; boundary=json", "",
                     "application/+jsonx", "application/json5", "applicatio/json", "application/ json", " ; application/json",
                     "application/jsön"] {
            #expect(!MediaType.isJSON(Substring(type)), "\(type)")
        }
    }
}
