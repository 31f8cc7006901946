import GatewayCore
import Testing

@Suite struct CertificateSelectorTests {
    // 0: default for localhost, 1: default covering *.example.test, 2: api.example.test domain, 3: tenants wildcard
    let selector = CertificateSelector(
        domains: [("api.example.test", 2), ("*.tenants.example.test", 3)],
        defaults: [(0, ["localhost", "127.0.0.1"]), (1, ["*.example.test", "example.test"])])

    @Test func followsTheContractOrder() {
        #expect(selector.select(serverName: "api.example.test") == 2, "exact domain")
        #expect(selector.select(serverName: "API.Example.Test.") == 2, "case and trailing dot ignored")
        #expect(selector.select(serverName: "acme.tenants.example.test") == 3, "wildcard domain, one label")
        #expect(selector.select(serverName: "www.example.test") == 1, "a default whose SANs cover the name")
        #expect(selector.select(serverName: "example.test") == 1)
        #expect(selector.select(serverName: "localhost") == 0)
        #expect(selector.select(serverName: "unknown.test") == 0, "then the first default")
        #expect(selector.select(serverName: nil) == 0, "no SNI: first default")
    }

    @Test func wildcardDomainsCoverExactlyOneLabel() {
        // Two extra labels: not the tenants wildcard; *.example.test does not cover it either → first default.
        #expect(selector.select(serverName: "a.b.tenants.example.test") == 0)
        #expect(selector.select(serverName: "tenants.example.test") == 1, "the parent is covered by *.example.test only")
    }

    @Test func withoutDefaultsTheFirstConfiguredCertificateIsTheFallback() {
        let domainsOnly = CertificateSelector(domains: [("b.test", 4), ("a.test", 1)], defaults: [])
        #expect(domainsOnly.select(serverName: "other.test") == 1)
        #expect(domainsOnly.select(serverName: nil) == 1)
    }

    @Test func rfc6125Matching() {
        #expect(CertificateSelector.covers(["*.example.test"], host: "a.example.test"))
        #expect(!CertificateSelector.covers(["*.example.test"], host: "example.test"))
        #expect(!CertificateSelector.covers(["*.example.test"], host: "a.b.example.test"))
        #expect(!CertificateSelector.covers(["*.example.test"], host: ".example.test"))
        #expect(CertificateSelector.covers(["Example.TEST".lowercased()], host: "EXAMPLE.test"))
        #expect(CertificateSelector.covers(["127.0.0.1"], host: "127.0.0.1"))
    }
}
