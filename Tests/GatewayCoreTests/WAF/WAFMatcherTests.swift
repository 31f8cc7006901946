import GatewayConfig
import Testing
@testable import GatewayCore

@Suite struct WAFMatcherTests {
    /// The literal prefix and suffix checks only ever skip the regex where it would have said no.
    @Test func aGlobsPrefilterAgreesWithItsRegex() throws {
        let globs = ["/admin/*", "/wp-*/**", "/**/*.php", "/a*a", "/static/**", "/exact", "/*", "/**", "/x/*/y/*.json",
                     "/é/*"]
        let pieces = ["/", "a", "admin", "wp-", "x", "y", ".php", ".json", "static", "é", "exact", "//", "aa"]
        var generator = SplitMix(seed: 42)
        var paths: [String] = ["/", "/a", "/aa", "/exact", "/exact/", "/admin/", "/admin/x", "/wp-/", "/x.php"]
        for _ in 0..<3000 {
            var path = "/"
            for _ in 0..<Int(generator.next() % 6) { path += pieces[Int(generator.next() % UInt64(pieces.count))] }
            paths.append(path)
        }
        for glob in globs {
            let snapshot = try StageFixture.snapshot(StageFixture.config(
                #""waf": {"rules": [{"name": "g", "match": {"path": ""# + glob + #""}, "action": "block"}]}, "apis": []"#))
            let rule = try #require(snapshot.waf?.rules.first)
            guard case .path(_, let regex) = try #require(rule.match) else {
                Issue.record("not a path condition")
                continue
            }
            let prefiltered = PathMatcher(regex, glob: glob)
            let request = TestRequest.make(.GET, "/")
            for path in paths {
                let subject = WAFPath(Substring(path))
                // What the matcher must answer: the regex on the path's WAF form, or on it without a trailing slash.
                let expected = regex.firstMatch(in: subject.normal)
                    || subject.withoutTrailingSlash.map { regex.firstMatch(in: $0) } == true
                #expect(prefiltered.matches(request, subject, 0) == expected, "\(glob) on \(path)")
                #expect(rule.matcher.matches(request, subject, 0) == expected, "\(glob) on \(path)")
            }
        }
    }

    @Test func runsOfSlashesCollapseAndATrailingSlashIsAlsoTriedWithout() {
        #expect(WAFPath("//admin///x//").normal == "/admin/x/")
        #expect(WAFPath("//admin///x//").withoutTrailingSlash == "/admin/x")
        #expect(WAFPath("/").normal == "/" && WAFPath("/").withoutTrailingSlash == nil)
        #expect(WAFPath("//").normal == "/" && WAFPath("//").withoutTrailingSlash == nil)
        #expect(WAFPath("/a/b").withoutTrailingSlash == nil)
    }
}
