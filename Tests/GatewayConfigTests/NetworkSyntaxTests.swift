import GatewayCore
import Testing
@testable import GatewayConfig

@Suite struct NetworkSyntaxTests {
    func listen(_ text: String) -> Result<ListenAddress, MessageError> { NetworkSyntax.parseListenAddress(text) }
    func upstream(_ text: String) -> Result<UpstreamTarget, MessageError> { NetworkSyntax.parseUpstreamURL(text) }

    @Test func listenAddressForms() {
        #expect(listen("0.0.0.0:8080") == .success(ListenAddress(host: "0.0.0.0", port: 8080)))
        #expect(listen("127.0.0.1:0") == .success(ListenAddress(host: "127.0.0.1", port: 0)))
        #expect(listen("[::1]:8080") == .success(ListenAddress(host: "::1", port: 8080)))
        #expect(listen(":8080") == .success(ListenAddress(host: "0.0.0.0", port: 8080)))
        #expect(listen("LocalHost:65535") == .success(ListenAddress(host: "localhost", port: 65535)))
    }

    @Test func badListenAddresses() {
        let usage = { (t: String) in MessageError("invalid listen address \"\(t)\": expected HOST:PORT such as \"0.0.0.0:8080\", \"[::1]:8080\" or \":8080\"") }
        for text in ["8080", "0.0.0.0", "0.0.0.0:", "0.0.0.0:http", "::1:8080", "[::1]8080", "[::1]", "1.2.3.4:-1"] {
            #expect(listen(text) == .failure(usage(text)), "\(text)")
        }
        #expect(listen("0.0.0.0:70000") == .failure(MessageError("port must be between 0 and 65535 (got 70000)")))
        #expect(listen("256.0.0.1:80") == .failure(MessageError("invalid host \"256.0.0.1\" in \"256.0.0.1:80\"")))
        #expect(listen("[::g]:80") == .failure(MessageError("invalid IPv6 address \"::g\" in \"[::g]:80\"")))
        #expect(listen("my_host:80") == .failure(MessageError("invalid host \"my_host\" in \"my_host:80\"")))
    }

    @Test func addressPredicates() {
        #expect(NetworkSyntax.isIPv4("10.0.0.1") && !NetworkSyntax.isIPv4("10.0.0") && !NetworkSyntax.isIPv4("01.0.0.1"))
        for v6 in ["::", "::1", "fe80::1", "2001:db8::8:800:200c:417a", "1:2:3:4:5:6:7:8", "::ffff:192.0.2.1"] {
            #expect(NetworkSyntax.isIPv6(v6[...]), "\(v6)")
        }
        for bad in ["1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", ":1", "1:2:3:4:5:6:7::8"] {
            #expect(!NetworkSyntax.isIPv6(bad[...]), "\(bad)")
        }
        #expect(NetworkSyntax.isHostname("api.example.test") && !NetworkSyntax.isHostname("-bad.test") && !NetworkSyntax.isHostname("a..b"))
    }

    @Test func upstreamURLs() {
        #expect(upstream("http://127.0.0.1:9001") == .success(UpstreamTarget(host: "127.0.0.1", port: 9001, basePath: "")))
        #expect(upstream("http://h:9002/old") == .success(UpstreamTarget(host: "h", port: 9002, basePath: "/old")))
        #expect(upstream("HTTP://Orders.Internal/v1/") == .success(UpstreamTarget(host: "orders.internal", port: 80, basePath: "/v1")))
        #expect(upstream("http://[::1]:8080/") == .success(UpstreamTarget(host: "::1", port: 8080, basePath: "")))
        #expect(upstream("https://Lambda.us-east-1.amazonaws.com") == .success(UpstreamTarget(
            host: "lambda.us-east-1.amazonaws.com", port: 443, basePath: "", tls: UpstreamTLS())))
        #expect(upstream("https://h:8443/v1") == .success(UpstreamTarget(host: "h", port: 8443, basePath: "/v1", tls: UpstreamTLS())))
        #expect(UpstreamTarget(host: "h", port: 443, basePath: "", tls: UpstreamTLS()).authority == "h")
        #expect(UpstreamTarget(host: "h", port: 80, basePath: "", tls: UpstreamTLS()).authority == "h:80")
    }

    @Test func badUpstreamURLs() {
        #expect(upstream("ftp://a") == .failure(MessageError("must be an http:// or https:// URL such as \"http://127.0.0.1:9001\" (got \"ftp://a\")")))
        #expect(upstream("127.0.0.1:9001") == .failure(MessageError("must be an http:// or https:// URL such as \"http://127.0.0.1:9001\" (got \"127.0.0.1:9001\")")))
        #expect(upstream("http://a/x?y=1") == .failure(MessageError("must not contain a query or fragment (got \"http://a/x?y=1\")")))
        #expect(upstream("http://a/#top") == .failure(MessageError("must not contain a query or fragment (got \"http://a/#top\")")))
        #expect(upstream("http://u:p@a") == .failure(MessageError("must not contain user info (got \"http://u:p@a\")")))
        #expect(upstream("http://") == .failure(MessageError("missing or invalid host in \"http://\"")))
        #expect(upstream("http://a:0") == .failure(MessageError("port must be between 1 and 65535 (got \"0\")")))
        #expect(upstream("http://a:99999") == .failure(MessageError("port must be between 1 and 65535 (got \"99999\")")))
        #expect(upstream("http://[::1") == .failure(MessageError("missing or invalid host in \"http://[::1\"")))
        #expect(upstream("http://a b") == .failure(MessageError("invalid host \"a b\" in \"http://a b\"")))
        #expect(upstream("http://a/x y") == .failure(MessageError("invalid character \" \" in the URL path (got \"http://a/x y\")")))
    }

    @Test func basePaths() {
        #expect(NetworkSyntax.normalizeBasePath("/") == .success("/"))
        #expect(NetworkSyntax.normalizeBasePath("/v1/") == .success("/v1"))
        #expect(NetworkSyntax.normalizeBasePath("/a/b") == .success("/a/b"))
        #expect(NetworkSyntax.normalizeBasePath("//") == .success("/"))
        #expect(NetworkSyntax.normalizeBasePath("v1") == .failure(MessageError("must start with \"/\" (got \"v1\")")))
        #expect(NetworkSyntax.normalizeBasePath("") == .failure(MessageError("must start with \"/\" (got \"\")")))
        #expect(NetworkSyntax.normalizeBasePath("/a//b") == .failure(MessageError("must not contain empty segments (got \"/a//b\")")))
        #expect(NetworkSyntax.normalizeBasePath("/a/../b") == .failure(MessageError("must not contain \".\" or \"..\" segments (got \"/a/../b\")")))
        #expect(NetworkSyntax.normalizeBasePath("/{id}") == .failure(MessageError("invalid character \"{\" in base path \"/{id}\"")))
    }
}
