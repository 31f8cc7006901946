import Foundation
import Testing

/// The WAF over real sockets: client identity from the socket and trusted proxies, the answer a blocked client
/// reads, streamed bodies cut off, the access log, `/metrics`, admin `GET /waf`, and IP set files re-read on reload.
@Suite(.serialized) struct WAFTests {
    static let routes = #"""
        { "route": "ANY /{proxy+}", "integration": { "type": "mock", "status": 200, "body": "ok" } }
        """#

    static func config(_ waf: String, extra: String = "") -> String {
        TestGateway.config(routes: routes, extra: #""accessLog": { "path": "access.log" }, "waf": "# + waf
                                                 + (extra.isEmpty ? "" : ", " + extra))
    }

    static let blockedSet = #"""
        { "ipSets": { "blocked": ["203.0.113.0/24"] },
          "rules": [ { "name": "blocked-ips", "match": { "ipSet": "blocked" }, "action": "block" } ] }
        """#

    @Test func forwardedForIsBelievedOnlyFromATrustedProxy() async throws {
        try await withGateway(Self.config(Self.blockedSet, extra: #""trustedProxies": ["127.0.0.1/32"]"#)) { gateway in
            let blocked = try exchange(port: gateway.port, get("/x", headers: ["X-Forwarded-For: 203.0.113.9"]))
            try expectProblem(blocked, status: 403, code: "WAF_FILTERED", close: false)
            // The right-most address a trusted proxy did not add is the client: a spoofed left part is ignored.
            let spoofed = try exchange(port: gateway.port, get("/x", headers: ["X-Forwarded-For: 203.0.113.9, 198.51.100.1"]))
            #expect(spoofed.status == 200)
            let lines = try await AccessLog.lines(in: gateway, count: 2)
            #expect(lines[0]["waf"]?["rule"]?.string == "blocked-ips" && lines[0]["waf"]?["action"]?.string == "block")
            #expect(lines[0]["errorCode"]?.string == "WAF_FILTERED" && lines[0]["clientIp"]?.string == "203.0.113.9")
            #expect(lines[1]["waf"] == nil)
        }
        // Without trusted proxies the header is the client's own claim.
        try await withGateway(Self.config(Self.blockedSet)) { gateway in
            let response = try exchange(port: gateway.port, get("/x", headers: ["X-Forwarded-For: 203.0.113.9"]))
            #expect(response.status == 200)
        }
    }

    @Test func pathEvasionsAreBlockedAndBlockStatusIsUsed() async throws {
        let waf = #"""
            { "ipSets": { "office": ["198.51.100.0/24"] }, "blockStatus": 451,
              "rules": [ { "name": "office-admin", "match": { "all": [ { "path": "/admin/*" }, { "not": { "ipSet": "office" } } ] },
                           "action": "block" } ] }
            """#
        try await withGateway(Self.config(waf)) { gateway in
            for path in ["/admin/x", "/admin/../admin/x", "//admin/x", "/%61dmin/x", "/admin/./x", "/%61%64%6D%69%6E/x", "/admin/x/"] {
                let response = try exchange(port: gateway.port, get(path))
                try expectProblem(response, status: 451, code: "WAF_FILTERED")
            }
            #expect(try exchange(port: gateway.port, get("/public/x")).status == 200)
        }
    }

    @Test func aRateRuleBlocksAtItsLimitAndTheAdminAPIShowsTheKey() async throws {
        let waf = #"""
            { "rules": [ { "name": "flood", "rateBased": { "limit": 3, "window": "60s", "key": "ip" }, "action": "block" },
                         { "name": "watch", "match": { "path": "/login" }, "action": "count" } ] }
            """#
        try await withGateway(Self.config(waf)) { gateway in
            let client = try RawClient(port: gateway.port)
            var statuses: [Int] = []
            for _ in 0..<5 {
                try client.send(get("/login"))
                statuses.append(try client.readResponse().status)
            }
            #expect(statuses == [200, 200, 200, 403, 403])
            let report = try JSON.parse(exchange(port: gateway.adminPort, get("/waf")).body)
            let rules = try #require(report["rules"]?.array)
            #expect(rules.map { $0["name"]?.string } == ["flood", "watch"])
            #expect(rules[0]["matched"]?.int == 5 && rules[0]["blocked"]?.int == 2)
            #expect(rules[1]["matched"]?.int == 3 && rules[1]["counted"]?.int == 3)
            let rate = try #require(rules[0]["rateBased"])
            #expect(rate["limit"]?.int == 3 && rate["windowSeconds"]?.int == 60 && rate["key"]?.string == "ip")
            let keys = try #require(rate["keysOverLimit"]?.array)
            #expect(keys.count == 1 && keys.first?["key"]?.string == "127.0.0.1" && keys.first?["count"]?.int == 3)
            let seconds = try #require(keys.first?["releasedInSeconds"]?.double)
            // Released a window after the first of the three admitted requests (less whatever a loaded machine took).
            #expect(seconds > 30 && seconds <= 61, "\(keys)")
            #expect(keys.first?["releasedAt"]?.string?.hasSuffix("Z") == true)

            let metrics = try exchange(port: gateway.adminPort, get("/metrics")).bodyText
            #expect(metrics.contains(#"portcullis_waf_actions_total{rule="flood",action="block"} 2"#), "\(metrics)")
            #expect(metrics.contains(#"portcullis_waf_matched_total{rule="watch"} 3"#))
            #expect(try exchange(port: gateway.adminPort, "POST /waf HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n").status == 405)
        }
    }

    @Test func aDeclaredBodyOverTheSizeIsRefusedBeforeItIsRead() async throws {
        let waf = #"{ "rules": [ { "name": "big", "match": { "path": "/upload", "bodySizeOver": 1000 }, "action": "block" } ] }"#
        try await withGateway(Self.config(waf)) { gateway in
            let client = try RawClient(port: gateway.port)
            try client.send("POST /upload HTTP/1.1\r\nHost: g\r\nContent-Length: 5000\r\n\r\n")
            try expectProblem(try client.readResponse(), status: 403, code: "WAF_FILTERED", close: true)
            #expect(client.waitForClose())
            // A request hidden in a blocked request's body is never read as the next request.
            let smuggler = try RawClient(port: gateway.port)
            try smuggler.send("POST /upload HTTP/1.1\r\nHost: g\r\nContent-Length: 2000\r\n\r\n"
                              + "GET /hidden HTTP/1.1\r\nHost: g\r\n\r\n" + String(repeating: "x", count: 1965))
            try expectProblem(try smuggler.readResponse(), status: 403, code: "WAF_FILTERED", close: true)
            #expect(smuggler.waitForClose())
            let small = try exchange(port: gateway.port, "POST /upload HTTP/1.1\r\nHost: g\r\nContent-Length: 3\r\n\r\nabc")
            #expect(small.status == 200)
        }
    }

    @Test func aStreamedBodyIsCutOffWhenItCrossesTheSize() async throws {
        try await withUpstream { upstream in
            let config = TestGateway.config(
                routes: #"{ "route": "POST /upload", "integration": { "type": "http", "url": "\#(upstream.url)" } }"#,
                extra: #""accessLog": { "path": "access.log" }, "waf": { "rules": [ { "name": "big", "match": { "path": "/upload", "bodySizeOver": 1000 }, "action": "block" } ] }"#)
            try await withGateway(config) { gateway in
                let client = try RawClient(port: gateway.port)
                try client.send("POST /upload HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\n\r\n")
                let chunk = String(repeating: "a", count: 600)
                try client.send("258\r\n\(chunk)\r\n")
                try client.send("258\r\n\(chunk)\r\n")
                let response = try client.readResponse()
                try expectProblem(response, status: 403, code: "WAF_FILTERED", close: true)
                #expect(client.waitForClose())
                let lines = try await AccessLog.lines(in: gateway, count: 1)
                #expect(lines[0]["waf"]?["rule"]?.string == "big" && lines[0]["status"]?.int == 403)
                // Under the size, the same streamed upload goes through.
                let ok = try RawClient(port: gateway.port)
                try ok.send("POST /upload HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n\(chunk)\r\n0\r\n\r\n")
                #expect(try ok.readResponse().status == 200)
            }
        }
    }

    @Test func aReloadRereadsAnIPSetFile() async throws {
        let waf = #"""
            { "ipSets": { "file-set": { "file": "blocked.txt" } },
              "rules": [ { "name": "listed", "match": { "ipSet": "file-set" }, "action": "block" } ] }
            """#
        // The gateway's directory is made at start, and the file must exist when the config loads: start without
        // the set and reload into it.
        try await withGateway(Self.config(#"{ "rules": [] }"#)) { gateway in
            try "# nothing yet\n192.0.2.0/24\n".write(toFile: gateway.directory + "/blocked.txt", atomically: true, encoding: .utf8)
            try gateway.writeConfig(Self.config(waf))
            #expect(try await adminReload(gateway).status == 200)
            #expect(try exchange(port: gateway.port, get("/x")).status == 200)
            try "127.0.0.1/32 # now the test client\n".write(toFile: gateway.directory + "/blocked.txt", atomically: true,
                                                            encoding: .utf8)
            #expect(try await adminReload(gateway).status == 200)
            try expectProblem(try exchange(port: gateway.port, get("/x")), status: 403, code: "WAF_FILTERED")
            try "not-a-cidr\n".write(toFile: gateway.directory + "/blocked.txt", atomically: true, encoding: .utf8)
            let rejected = try await adminReload(gateway)
            #expect(rejected.status == 400 && rejected.bodyText.contains("/waf/ipSets/file-set/file"))
            // The running config stays.
            #expect(try exchange(port: gateway.port, get("/x")).status == 403)
        }
    }
}
