import GatewayCore
import Testing
@testable import GatewayConfig

@Suite struct DomainDecoderTests {
    static let apis = #"""
    "apis": [{"name": "orders", "routes": [{"route": "GET /o", "integration": {"type": "mock"}}]},
             {"name": "public", "routes": [{"route": "GET /p", "integration": {"type": "mock"}}]}]
    """#

    func compile(_ domains: String) -> ConfigLoadResult {
        TestConfig.compile(#"{"listen": {"http": ":8080"}, "domains": \#(domains), \#(Self.apis)}"#)
    }

    func lines(_ domains: String) -> [String] { compile(domains).diagnostics.map(\.description) }

    @Test func compilesDomains() throws {
        let result = compile(#"""
        [{"name": "API.Example.test", "mappings": [{"basePath": "/v1/", "api": "orders"}, {"basePath": "/", "api": "public"}]},
         {"name": "*.tenants.example.test", "mappings": [{"api": "public"}]}]
        """#)
        #expect(result.diagnostics == [])
        let snapshot = try #require(result.snapshot)
        #expect(snapshot.domainNames == ["api.example.test", "*.tenants.example.test"])
        #expect(DomainDecoder.domainName("API.Example.test") == "api.example.test")
    }

    @Test func decodesMappingsToAPIIndices() {
        let context = DecodeContext(environment: [:], baseDirectory: "/")
        let value = try! JSONParser.parse(#"[{"name": "a.test", "mappings": [{"basePath": "/v1/", "api": "public"}, {"api": "orders"}]}]"#)
        let domains = DomainDecoder.decode(Node(value: value, pointer: "/domains", context: context), apiNames: ["orders", "public"])
        #expect(domains?.routes == [DomainRoute(name: "a.test", mappings: [BasePathMapping(basePath: "/v1", api: 1), BasePathMapping(basePath: "/", api: 0)])])
        #expect(context.diagnostics == [])
    }

    @Test func nameErrors() {
        let usage = { (t: String) in #"must be a hostname such as "api.example.test" or a wildcard such as "*.example.test" (got "\#(t)")"# }
        let mapping = #""mappings": [{"api": "orders"}]"#
        #expect(lines(#"[{"name": "bad_host", \#(mapping)}]"#) == ["/domains/0/name: \(usage("bad_host"))"])
        #expect(lines(#"[{"name": "*", \#(mapping)}]"#) == ["/domains/0/name: \(usage("*"))"])
        #expect(lines(#"[{"name": "a.*.test", \#(mapping)}]"#) == ["/domains/0/name: \(usage("a.*.test"))"])
        #expect(lines(#"[{"name": "10.0.0.1", \#(mapping)}]"#) == ["/domains/0/name: \(usage("10.0.0.1"))"])
        #expect(lines(#"[{"name": "a.test", \#(mapping)}, {"name": "A.TEST", \#(mapping)}]"#) == [#"/domains/1/name: duplicate domain "a.test" (also at /domains/0)"#])
        #expect(lines(#"[{\#(mapping)}]"#) == [#"/domains/0: missing required key "name""#])
    }

    @Test func mappingErrors() {
        #expect(lines(#"[{"name": "a.test", "mappings": [{"basePath": "/v1", "api": "nope"}]}]"#) == [#"/domains/0/mappings/0/api: unknown API "nope""#])
        #expect(lines(#"[{"name": "a.test", "mappings": [{"basePath": "v1", "api": "orders"}]}]"#) == [#"/domains/0/mappings/0/basePath: must start with "/" (got "v1")"#])
        #expect(lines(#"[{"name": "a.test", "mappings": [{"basePath": "/v1", "api": "orders"}, {"basePath": "/v1/", "api": "public"}]}]"#)
            == [#"/domains/0/mappings/1/basePath: duplicate basePath "/v1" (also at /domains/0/mappings/0)"#])
        #expect(lines(#"[{"name": "a.test", "mappings": []}]"#) == ["/domains/0/mappings: must not be empty"])
        #expect(lines(#"[{"name": "a.test"}]"#) == [#"/domains/0: missing required key "mappings""#])
        #expect(lines(#"[{"name": "a.test", "mappings": [{"basepath": "/", "api": "orders"}]}]"#) == [#"/domains/0/mappings/0/basepath: unknown key "basepath" (did you mean "basePath"?)"#])
        #expect(lines(#"{"name": "a.test"}"#) == ["/domains: must be an array (got object)"])
    }

    @Test func certificateAndKeyGoTogether() {
        #expect(lines(#"[{"name": "a.test", "cert": "a.crt", "mappings": [{"api": "orders"}]}]"#) == [
            #"/domains/0: missing required key "key" ("cert" needs its private key)"#,
        ])
        #expect(lines(#"[{"name": "a.test", "key": "a.key", "mappings": [{"api": "orders"}]}]"#) == [
            #"/domains/0: missing required key "cert" ("key" needs its certificate)"#,
        ])
    }

    @Test func domainCertificatesAreResolvedAgainstTheConfigDirectory() {
        let context = DecodeContext(environment: [:], baseDirectory: "/etc/portcullis")
        let value = try! JSONParser.parse(#"[{"name": "a.test", "cert": "certs/a.crt", "key": "/k/a.key", "mappings": [{"api": "orders"}]}]"#)
        let domains = DomainDecoder.decode(Node(value: value, pointer: "/domains", context: context), apiNames: ["orders"])
        #expect(domains?.certificates.map(\.name) == ["a.test"])
        #expect(domains?.certificates.first?.reference.certificatePath == "/etc/portcullis/certs/a.crt")
        #expect(domains?.certificates.first?.reference.keyPath == "/k/a.key")
        #expect(domains?.certificates.first?.reference.keyPointer == "/domains/0/key")
    }
}
