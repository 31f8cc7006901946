import Foundation
import GatewayCore
import Testing
@testable import GatewayConfig

@Suite struct WAFDecoderTests {
    func lines(_ waf: String) -> [String] {
        TestConfig.lines(TestConfig.top(#""waf": "# + waf))
    }

    func policy(_ waf: String, path: String = TestConfig.path) throws -> WAFPolicy {
        let result = TestConfig.compile(TestConfig.top(#""waf": "# + waf), path: path)
        #expect(result.diagnostics.prefix(5).map(\.description) == [])
        return try #require(result.snapshot?.waf)
    }

    @Test func theContractExampleCompiles() throws {
        let waf = try policy(#"""
            {"ipSets": {"blocked": ["203.0.113.0/24", "2001:db8:bad::/48"], "office": ["198.51.100.0/24"]},
             "rules": [
               {"name": "blocked-ips", "match": {"ipSet": "blocked"}, "action": "block"},
               {"name": "office-admin", "match": {"all": [{"path": "/admin/*"}, {"not": {"ipSet": "office"}}]}, "action": "block"},
               {"name": "ip-flood", "rateBased": {"limit": 100, "window": "60s", "key": "ip"}, "action": "block"},
               {"name": "login-watch", "match": {"path": "/login", "method": "POST"}, "action": "count"}],
             "blockStatus": 403}
            """#)
        #expect(waf.rules.map(\.name) == ["blocked-ips", "office-admin", "ip-flood", "login-watch"])
        #expect(waf.rules.map(\.action) == [.block, .block, .block, .count])
        #expect(waf.rules[2].rate?.limit == 100 && waf.rules[2].rate?.window == .seconds(60))
        #expect(waf.blockStatus == 403 && waf.maxTrackedKeys == WAFPolicy.defaultMaxTrackedKeys)
    }

    @Test func noWAFSectionMeansNoStage() throws {
        let snapshot = try #require(TestConfig.compile(TestConfig.top("")).snapshot)
        #expect(snapshot.waf == nil)
        #expect(!snapshot.pipeline.stages.contains { $0.name == "waf" })
    }

    @Test func invalidCIDRsAreReportedEachAtItsPointer() {
        #expect(lines(#"{"ipSets": {"bad": ["10.0.0.1/33", "::/129", "text", "10.0.0.0/8"]}, "rules": []}"#) == [
            #"/waf/ipSets/bad/0: invalid CIDR "10.0.0.1/33": prefix length must be 0–32 for IPv4 (got "33")"#,
            #"/waf/ipSets/bad/1: invalid CIDR "::/129": prefix length must be 0–128 for IPv6 (got "129")"#,
            #"/waf/ipSets/bad/2: invalid CIDR "text": "text" is not an IPv4 or IPv6 address"#,
        ])
    }

    @Test func anIPSetFromAFileWithCommentsAndLineNumbersInErrors() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("waf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "# blocked ranges\n203.0.113.0/24   # a comment\r\n\n  2001:db8:bad::/48\n".write(
            to: directory.appendingPathComponent("blocked.txt"), atomically: true, encoding: .utf8)
        let configPath = directory.appendingPathComponent("gateway.json").path
        let waf = try policy(#"{"ipSets": {"b": {"file": "blocked.txt"}}, "rules": [{"name": "r", "match": {"ipSet": "b"}, "action": "block"}]}"#,
                             path: configPath)
        guard case .ipSet(_, let set) = waf.rules[0].match else {
            Issue.record("not an ipSet condition")
            return
        }
        #expect(set.contains(IPAddress("203.0.113.9")!) && set.contains(IPAddress("2001:db8:bad::1")!))
        #expect(!set.contains(IPAddress("203.0.114.1")!))

        try "10.0.0.0/8\n10.0.0.1/33\nnope\n".write(to: directory.appendingPathComponent("blocked.txt"), atomically: true,
                                                    encoding: .utf8)
        let result = TestConfig.compile(TestConfig.top(#""waf": {"ipSets": {"b": {"file": "blocked.txt"}}, "rules": []}"#),
                                        path: configPath)
        let file = directory.appendingPathComponent("blocked.txt").standardizedFileURL.path
        #expect(result.diagnostics.map(\.description) == [
            #"/waf/ipSets/b/file: \#(file) line 2: invalid CIDR "10.0.0.1/33": prefix length must be 0–32 for IPv4 (got "33")"#,
            #"/waf/ipSets/b/file: \#(file) line 3: invalid CIDR "nope": "nope" is not an IPv4 or IPv6 address"#,
        ])
        let missing = TestConfig.compile(TestConfig.top(#""waf": {"ipSets": {"b": {"file": "absent.txt"}}, "rules": []}"#),
                                         path: configPath)
        #expect(missing.diagnostics.map(\.description).first?.hasPrefix("/waf/ipSets/b/file: cannot read IP set file") == true)
    }

    @Test func ruleErrors() {
        #expect(lines(#"{"rules": [{"name": "a", "action": "deny", "match": {"path": "/x"}}]}"#)
            == [#"/waf/rules/0/action: must be "allow", "block" or "count" (got "deny")"#])
        #expect(lines(#"{"rules": [{"name": "a", "action": "block"}]}"#)
            == [#"/waf/rules/0: a rule needs "match", "rateBased" or both"#])
        #expect(lines(#"{"rules": [{"name": "a", "action": "block", "match": {"path": "/x"}}, {"name": "a", "action": "count", "match": {"path": "/y"}}]}"#)
            == [#"/waf/rules/1/name: rule name "a" is used twice"#])
        #expect(lines(#"{"rules": [{"name": "a", "action": "block", "match": {"ipSet": "nope"}}], "ipSets": {"known": []}}"#)
            == [#"/waf/rules/0/match/ipSet: no IP set "nope" in /waf/ipSets (it has "known")"#])
        #expect(lines(#"{"rules": [{"name": "a", "action": "block", "match": {}}]}"#)
            == [#"/waf/rules/0/match: a match needs at least one condition (ipSet, path, pathRegex, method, header, query, bodySizeOver, all, any, not)"#])
        #expect(lines(#"{"rules": [{"name": "a", "action": "block", "match": {"pathh": "/x"}}]}"#)
            == [#"/waf/rules/0/match/pathh: unknown key "pathh" (did you mean "path"?)"#])
        #expect(lines(#"{"rules": [], "blockStatus": 200}"#) == ["/waf/blockStatus: must be between 400 and 599 (got 200)"])
        #expect(lines(#"{"ipSets": {}}"#) == [#"/waf: missing required key "rules""#])
    }

    @Test func conditionErrors() {
        func match(_ m: String) -> [String] { lines(#"{"rules": [{"name": "a", "action": "block", "match": "# + m + "}]}") }
        #expect(match(#"{"pathRegex": "(a"}"#).first?.hasPrefix(#"/waf/rules/0/match/pathRegex: invalid regex "(a": "#) == true)
        #expect(match(#"{"pathRegex": "(a)\\1"}"#).first?.hasPrefix(#"/waf/rules/0/match/pathRegex: invalid regex"#) == true)
        #expect(match(#"{"path": "admin/*"}"#) == [#"/waf/rules/0/match/path: a path glob starts with "/" (got "admin/*")"#])
        #expect(match(#"{"path": "/a/../b/*"}"#)
            == [#"/waf/rules/0/match/path: path globs match normalised paths, so "/a/../b/*" could never match (write it as "/b/x" with the * kept)"#])
        #expect(match(#"{"method": "post"}"#) == [#"/waf/rules/0/match/method: methods are case-sensitive and upper-case (got "post")"#])
        #expect(match(#"{"method": []}"#) == ["/waf/rules/0/match/method: must list at least one method"])
        #expect(match(#"{"header": {"name": "x"}}"#)
            == [#"/waf/rules/0/match/header: needs exactly one of "equals", "contains", "regex" or "present""#])
        #expect(match(#"{"query": {"name": "q", "equals": "a", "contains": "b"}}"#)
            == [#"/waf/rules/0/match/query: needs exactly one of "equals", "contains", "regex" or "present" (got "equals", "contains")"#])
        #expect(match(#"{"header": {"name": "bad name", "present": true}}"#) == [#"/waf/rules/0/match/header/name: "bad name" is not a header name"#])
        #expect(match(#"{"header": {"name": "user-agent", "regex": "(?i)nikto"}}"#).first?.hasSuffix(
            #"(for case-insensitive matching, add "ignoreCase": true and write the pattern in lower case)"#) == true)
        #expect(match(#"{"header": {"name": "x", "present": true, "ignoreCase": 1}}"#)
            == ["/waf/rules/0/match/header/ignoreCase: must be true or false (got number)"])
        #expect(match(#"{"any": []}"#) == ["/waf/rules/0/match/any: must list at least one condition"])
        #expect(match(#"{"not": {"bodySizeOver": -1}}"#).first?.hasPrefix("/waf/rules/0/match/not/bodySizeOver: must be between") == true)
        #expect(match(#"{"all": [{"path": "/x"}, {"header": {"name": "h", "regex": "["}}]}"#).first?.hasPrefix(
            #"/waf/rules/0/match/all/1/header/regex: invalid regex "[""#) == true)
    }

    @Test func rateErrors() {
        func rate(_ r: String) -> [String] { lines(#"{"rules": [{"name": "a", "action": "block", "rateBased": "# + r + "}]}") }
        #expect(rate(#"{"limit": 0, "window": "60s"}"#) == ["/waf/rules/0/rateBased/limit: must be between 1 and 1000000000 (got 0)"])
        #expect(rate(#"{"limit": 10, "window": "5s"}"#) == ["/waf/rules/0/rateBased/window: must be between 10s and 1h (got 5s)"])
        #expect(rate(#"{"limit": 10, "window": "2h"}"#).first?.hasPrefix("/waf/rules/0/rateBased/window: must be between 0 and") == true)
        #expect(rate(#"{"limit": 10, "window": "60s", "key": "cookie"}"#)
            == [#"/waf/rules/0/rateBased/key: must be "ip", "apiKey", "path" or "header:NAME" (got "cookie")"#])
        #expect(rate(#"{"limit": 10, "window": "60s", "key": "header:"}"#).count == 1)
        #expect(rate(#"{"window": "60s"}"#) == [#"/waf/rules/0/rateBased: missing required key "limit""#])
    }

    @Test func oneHundredThousandCIDRsLoad() throws {
        var cidrs: [String] = []
        for i in 0..<100_000 {
            cidrs.append(i % 3 == 0 ? "2001:db8:\(String(i / 3, radix: 16))::/48" : "\(10 + i % 200).\(i / 256 % 256).\(i % 256).0/24")
        }
        let list = "[" + cidrs.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        let clock = ContinuousClock()
        var waf: WAFPolicy?
        let elapsed = try clock.measure {
            waf = try policy(#"{"ipSets": {"big": "# + list + #"}, "rules": [{"name": "r", "match": {"ipSet": "big"}, "action": "block"}]}"#)
        }
        #expect(waf?.rules.count == 1)
        // Whole config compile in a debug build; the release figure is in the README.
        #expect(elapsed < .seconds(5), "\(elapsed)")
    }

    /// The README's worked example compiles as printed (with its IP set file present).
    @Test func theReadmeExampleCompiles() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let section = try #require(text.range(of: "## A web application firewall"))
        let start = try #require(text.range(of: "```json\n", range: section.upperBound..<text.endIndex))
        let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
        let members = String(text[start.upperBound..<end.lowerBound])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("waf-readme-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "192.0.2.0/24\n".write(to: directory.appendingPathComponent("abuse-list.txt"), atomically: true, encoding: .utf8)
        let waf = try policy(members.replacingOccurrences(of: #""trustedProxies": ["10.0.0.0/8"],"#, with: "")
                                 .replacingOccurrences(of: #""waf": "#, with: ""),
                             path: directory.appendingPathComponent("gateway.json").path)
        #expect(waf.rules.map(\.name) == ["blocked-ips", "office-admin", "login-flood", "ip-flood", "scrapers"])
    }
}
