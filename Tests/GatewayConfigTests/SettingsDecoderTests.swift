import GatewayCore
import Testing
@testable import GatewayConfig

@Suite struct SettingsDecoderTests {
    func settings(_ members: String, env: [String: String] = [:]) throws -> GatewaySettings {
        let result = TestConfig.compile(TestConfig.top(members), env: env)
        #expect(result.diagnostics == [])
        return try #require(result.snapshot).settings
    }

    func lines(_ members: String, env: [String: String] = [:]) -> [String] {
        TestConfig.lines(TestConfig.top(members), env: env)
    }

    @Test func defaults() throws {
        let s = try settings("")
        #expect(s.listen.http == ListenAddress(host: "0.0.0.0", port: 8080))
        #expect(s.admin == AdminSettings(listen: ListenAddress(host: "127.0.0.1", port: 9901), token: nil))
        #expect(s.trustedProxies == .empty)
        #expect(s.limits == Limits.defaults)
        #expect(s.accessLog == nil)
    }

    @Test func listenForms() throws {
        #expect(try settings(#""listen": {"http": "[::1]:8080"}"#).listen.http == ListenAddress(host: "::1", port: 8080))
        #expect(try settings(#""listen": {"http": "127.0.0.1:0"}"#).listen.http == ListenAddress(host: "127.0.0.1", port: 0))
        #expect(try settings(#""listen": {"http": "${ADDR}"}"#, env: ["ADDR": "10.0.0.1:80"]).listen.http == ListenAddress(host: "10.0.0.1", port: 80))
    }

    @Test func listenErrors() {
        #expect(lines(#""listen": {}"#) == [#"/listen: must have at least one of "http" or "https""#])
        #expect(lines(#""listen": {"http": "127.0.0.1:8443", "https": "127.0.0.1:8443"}"#) == ["/listen/https: the HTTPS listener cannot share 127.0.0.1:8443 with /listen/http"])
        #expect(lines(#""listen": {"http": "8080"}"#) == [#"/listen/http: invalid listen address "8080": expected HOST:PORT such as "0.0.0.0:8080", "[::1]:8080" or ":8080""#])
        #expect(lines(#""listen": {"http": ":65536"}"#) == ["/listen/http: port must be between 0 and 65535 (got 65536)"])
        #expect(lines(#""listen": {"http": 8080}"#) == ["/listen/http: must be a string (got number)"])
        #expect(lines(#""listen": {"htp": ":80"}"#) == [#"/listen: must have at least one of "http" or "https""#,
                                                        #"/listen/htp: unknown key "htp" (did you mean "http"?)"#])
        #expect(TestConfig.lines("{\(TestConfig.pingAPI)}") == [#": missing required key "listen""#])
    }

    @Test func admin() throws {
        let s = try settings(#""admin": {"listen": "0.0.0.0:9000", "token": "Bearer-${T}"}"#, env: ["T": "x"])
        #expect(s.admin == AdminSettings(listen: ListenAddress(host: "0.0.0.0", port: 9000), token: "Bearer-x"))
        #expect(lines(#""admin": {"token": ""}"#) == ["/admin/token: must not be empty"])
        #expect(lines(#""admin": {"token": "${ADMIN_TOKEN}"}"#) == [#"/admin/token: environment variable "ADMIN_TOKEN" is not set"#])
        #expect(lines(#""admin": {"listen": ":8080"}"#) == ["/admin/listen: the admin listener cannot share 0.0.0.0:8080 with /listen/http"])
        #expect(lines(#""admin": {"listen": "nope", "tokn": "x"}"#) == [
            #"/admin/listen: invalid listen address "nope": expected HOST:PORT such as "0.0.0.0:8080", "[::1]:8080" or ":8080""#,
            #"/admin/tokn: unknown key "tokn" (did you mean "token"?)"#,
        ])
    }

    /// Only loopback binds may leave the admin API (reload, metrics) without a token; wildcards are not loopback.
    @Test func adminOffLoopbackNeedsAToken() throws {
        func message(_ address: String) -> String {
            "/admin/listen: the admin listener on \(address) is reachable from other hosts and needs a \"token\" "
                + "(/admin/token); without one it must listen on loopback (127.0.0.0/8, [::1] or localhost)"
        }
        for open in ["0.0.0.0:9000", ":9000", "[::]:9000", "10.0.0.1:9000", "[fe80::1]:9000", "[::2]:9000",
                     "128.0.0.1:9000", "admin.example.test:9000", "localhost6:9000", "[::ffff:10.0.0.1]:9000"] {
            let shown = try NetworkSyntax.parseListenAddress(open).get()
            #expect(lines(#""admin": {"listen": "\#(open)"}"#) == [message("\(shown)")], "\(open)")
            // The same address with a token is accepted.
            #expect(try settings(#""admin": {"listen": "\#(open)", "token": "t"}"#).admin.listen == shown)
        }
        for loopback in ["127.0.0.1:9000", "127.255.0.9:9000", "[::1]:9000", "localhost:9000", "LOCALHOST:9000",
                         "[0:0:0:0:0:0:0:1]:9000", "[::ffff:127.0.0.1]:9000"] {
            #expect(try settings(#""admin": {"listen": "\#(loopback)"}"#).admin.token == nil, "\(loopback)")
        }
        #expect(try settings(#""admin": {}"#).admin.listen == ListenAddress(host: "127.0.0.1", port: 9901))
        // An empty token is its own error, not a second one about the address.
        #expect(lines(#""admin": {"listen": "0.0.0.0:9000", "token": ""}"#) == ["/admin/token: must not be empty"])
    }

    @Test func trustedProxies() throws {
        let s = try settings(#""trustedProxies": ["127.0.0.1/32", "::1/128"]"#)
        #expect(s.trustedProxies == (try CIDRSet(parsing: ["127.0.0.1/32", "::1/128"])))
        let errors = lines(#""trustedProxies": ["10.0.0.0/8", "10.0.0.0/33", 5, "nope"]"#)
        #expect(errors.count == 3)
        #expect(errors[0].hasPrefix(#"/trustedProxies/1: invalid CIDR "10.0.0.0/33""#))
        #expect(errors[1] == "/trustedProxies/2: must be a string (got number)")
        #expect(errors[2].hasPrefix(#"/trustedProxies/3: invalid CIDR "nope""#))
        #expect(lines(#""trustedProxies": "10.0.0.0/8""#) == ["/trustedProxies: must be an array (got string)"])
    }

    @Test func limits() throws {
        let s = try settings(#""limits": {"maxBodySize": "1MB", "maxHeaderSize": 8192, "headerTimeout": "500ms", "idleTimeout": 120}"#)
        #expect(s.limits == Limits(maxBodySize: 1_048_576, maxHeaderSize: 8192, headerTimeout: .milliseconds(500), idleTimeout: .seconds(120)))
        let partial = try settings(#""limits": {"maxBodySize": "64kb"}"#)
        #expect(partial.limits.maxBodySize == 65_536 && partial.limits.maxHeaderSize == Limits.defaults.maxHeaderSize)
        #expect(lines(#""limits": {"maxBodySize": "5GB", "maxHeaderSize": "512B", "headerTimeout": 0, "idleTimeout": "2d", "bodySize": 1}"#) == [
            "/limits/maxBodySize: must be between 0 and 4GB (got 5GB)",
            "/limits/maxHeaderSize: must be between 1KB and 1MB (got 512B)",
            "/limits/headerTimeout: must be greater than 0 and at most 10m (got 0)",
            "/limits/idleTimeout: must be greater than 0 and at most 1d (got 2d)",
            #"/limits/bodySize: unknown key "bodySize" (did you mean "maxBodySize"?)"#,
        ])
    }

    @Test func accessLog() throws {
        #expect(try settings(#""accessLog": {"path": "-"}"#).accessLog == AccessLogSettings(path: "-"))
        #expect(try settings(#""accessLog": {"path": "logs/access.log"}"#).accessLog == AccessLogSettings(path: "/etc/portcullis/logs/access.log"))
        #expect(try settings(#""accessLog": {"path": "${LOG}"}"#, env: ["LOG": "-"]).accessLog == AccessLogSettings(path: "-"))
        #expect(lines(#""accessLog": {}"#) == [#"/accessLog: missing required key "path""#])
        #expect(lines(#""accessLog": {"path": ""}"#) == ["/accessLog/path: must not be empty"])
    }

    @Test func defaultEndpoint() {
        #expect(lines(#""defaultEndpoint": "no""#) == ["/defaultEndpoint: must be true or false (got string)"])
        #expect(TestConfig.compile(TestConfig.top(#""defaultEndpoint": false"#)).snapshot != nil)
    }
}
