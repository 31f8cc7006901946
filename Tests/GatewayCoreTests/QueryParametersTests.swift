import GatewayCore
import Testing

@Suite struct QueryParametersTests {
    @Test func looksUpDecodedNamesInOrder() throws {
        let query = QueryParameters("dryRun=true&tag=a&tag=b%20c&empty=&flag&%61lias=1")
        #expect(try query.values("dryRun").get() == ["true"])
        #expect(try query.values("tag").get() == ["a", "b c"])
        #expect(try query.values("empty").get() == [""])
        #expect(try query.values("flag").get() == [""])
        #expect(try query.values("alias").get() == ["1"], "names are decoded too")
        #expect(try query.values("missing").get() == [])
        #expect(try query.values("DryRun").get() == [], "names are case-sensitive")
    }

    @Test func noQueryHasNoParameters() throws {
        #expect(try QueryParameters(nil).values("a").get() == [])
        #expect(try QueryParameters("").values("a").get() == [])
        #expect(try QueryParameters("&&").values("a").get() == [])
    }

    @Test func aMalformedValueIsReportedByName() {
        #expect(QueryParameters("n=%zz").values("n") == .failure(.init(name: "n")))
    }
}
