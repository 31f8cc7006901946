import Testing
@testable import GatewayCore

@Suite struct RouteTableTests {
    func table(_ keys: [String]) throws -> RouteTable {
        try RouteTable(keys: keys.map { try RouteKey.parse($0).get() })
    }

    func conflict(_ keys: [String]) -> RouteConflict? {
        do {
            _ = try RouteTable(keys: keys.map { try RouteKey.parse($0).get() })
            return nil
        } catch let c as RouteConflict {
            return c
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    /// The index of the matched route, or nil.
    func route(_ t: RouteTable, _ method: Substring, _ path: Substring) -> Int? {
        if case .matched(let r, _) = t.match(method: method, path: path) { return r }
        return nil
    }

    func params(_ t: RouteTable, _ method: Substring, _ path: Substring) -> [String: Substring] {
        guard case .matched(_, let p) = t.match(method: method, path: path) else { return [:] }
        return Dictionary(uniqueKeysWithValues: zip(p.names, p.values))
    }

    // MARK: Basics

    @Test func literalAndParameterMatch() throws {
        let t = try table(["GET /orders", "GET /orders/{id}", "POST /orders"])
        #expect(route(t, "GET", "/orders") == 0)
        #expect(route(t, "POST", "/orders") == 2)
        #expect(route(t, "GET", "/orders/7") == 1)
        #expect(params(t, "GET", "/orders/7") == ["id": "7"])
        #expect(t.match(method: "GET", path: "/orders/7/x") == .notFound)
        #expect(t.match(method: "GET", path: "/nope") == .notFound)
    }

    @Test func emptySegmentsAreIgnored() throws {
        let t = try table(["GET /", "GET /a/{b}"])
        #expect(route(t, "GET", "") == 0)
        #expect(route(t, "GET", "/") == 0)
        #expect(route(t, "GET", "//") == 0)
        #expect(route(t, "GET", "/a/x/") == 1)
        #expect(route(t, "GET", "//a//x") == 1)
        #expect(params(t, "GET", "//a//x/") == ["b": "x"])
    }

    @Test func parametersAreRawSubstringsOfThePath() throws {
        let t = try table(["GET /files/{dir}/{name}"])
        let path: Substring = "/files/a%20b/c%2Fd.txt"
        guard case .matched(_, let p) = t.match(method: "GET", path: path) else {
            Issue.record("no match")
            return
        }
        #expect(p["dir"] == "a%20b")
        #expect(p["name"] == "c%2Fd.txt")
        #expect(p["name"]!.startIndex >= path.startIndex && p["name"]!.endIndex == path.endIndex)
    }

    @Test func routesAreByteExactAndCaseSensitive() throws {
        let t = try table(["GET /Caf%C3%A9", "GET /caf%C3%A9"])
        #expect(route(t, "GET", "/Caf%C3%A9") == 0)
        #expect(route(t, "GET", "/caf%C3%A9") == 1)
        // Byte-exact here; the edge upper-cases escapes (RequestPath) before the table sees a path.
        #expect(route(t, "GET", "/caf%c3%a9") == nil)
        #expect(route(t, "GET", "/café") == nil)
    }

    @Test func rawNonASCIIPathBytesAreCapturedIntact() throws {
        let t = try table(["GET /u/{name}", "GET /f/{rest+}"])
        #expect(params(t, "GET", "/u/jörg") == ["name": "jörg"])
        #expect(params(t, "GET", "/f/ä/ö ü") == ["rest": "ä/ö ü"])
    }

    // MARK: Greedy

    @Test func greedyCapturesTheRestWithSlashes() throws {
        let t = try table(["ANY /legacy/{proxy+}"])
        #expect(params(t, "GET", "/legacy/a") == ["proxy": "a"])
        #expect(params(t, "GET", "/legacy/a/b/c") == ["proxy": "a/b/c"])
        #expect(params(t, "GET", "/legacy/a/b/") == ["proxy": "a/b/"])
        #expect(params(t, "GET", "/legacy//a") == ["proxy": "a"])
    }

    @Test func greedyNeedsAtLeastOneSegment() throws {
        let t = try table(["GET /legacy/{proxy+}"])
        #expect(t.match(method: "GET", path: "/legacy") == .notFound)
        #expect(t.match(method: "GET", path: "/legacy/") == .notFound)
        let root = try table(["ANY /{proxy+}"])
        #expect(root.match(method: "GET", path: "/") == .notFound)
        #expect(params(root, "GET", "/x/y") == ["proxy": "x/y"])
    }

    // MARK: Precedence

    @Test func moreLiteralSegmentsWin() throws {
        let t = try table(["GET /{a}/{b}/{c}", "GET /x/{b}/{c}", "GET /{a}/y/z", "GET /x/y/z"])
        #expect(route(t, "GET", "/x/y/z") == 3)
        #expect(route(t, "GET", "/q/y/z") == 2)
        #expect(route(t, "GET", "/x/q/z") == 1)
        #expect(route(t, "GET", "/q/q/q") == 0)
        // Literal count, not left-to-right position: /{a}/y/z (2 literals) beats /x/{b}/{c} (1 literal).
        let u = try table(["GET /x/{b}/{c}", "GET /{a}/y/z"])
        #expect(route(u, "GET", "/x/y/z") == 1)
    }

    @Test func parameterBeatsGreedy() throws {
        let t = try table(["GET /a/{rest+}", "GET /a/{id}", "GET /{all+}", "GET /{x}/{y}"])
        #expect(route(t, "GET", "/a/1") == 1)
        #expect(route(t, "GET", "/a/1/2") == 0)
        #expect(route(t, "GET", "/b/1") == 3)
        #expect(route(t, "GET", "/b/1/2") == 2)
        #expect(route(t, "GET", "/b") == 2)
    }

    @Test func moreLiteralsBeatParameterOverGreedy() throws {
        // "more literal segments first" comes before "{name} over {name+}".
        let t = try table(["GET /{x}/{y}", "GET /a/{rest+}"])
        #expect(route(t, "GET", "/a/b") == 1)
    }

    @Test func methodSpecificBeatsAny() throws {
        let t = try table(["ANY /items/{id}", "GET /items/{id}", "ANY /items/{id}/{rest+}"])
        #expect(route(t, "GET", "/items/1") == 1)
        #expect(route(t, "POST", "/items/1") == 0)
        #expect(route(t, "PROPFIND", "/items/1") == 0)
        #expect(route(t, "get", "/items/1") == 0)  // methods are case-sensitive; unknown → only ANY
    }

    @Test func anyWithMoreLiteralsBeatsSpecificMethod() throws {
        let t = try table(["GET /items/{id}", "ANY /items/special"])
        #expect(route(t, "GET", "/items/special") == 1)
        #expect(route(t, "GET", "/items/other") == 0)
    }

    @Test func getAnswersHeadButExplicitHeadWins() throws {
        let t = try table(["GET /a", "GET /b", "HEAD /b", "ANY /c", "GET /c"])
        #expect(route(t, "HEAD", "/a") == 0)
        #expect(route(t, "HEAD", "/b") == 2)
        #expect(route(t, "GET", "/b") == 1)
        #expect(route(t, "HEAD", "/c") == 4)  // GET-for-HEAD beats ANY on the same shape
        #expect(t.match(method: "POST", path: "/a") == .methodNotAllowed(allow: ["GET", "HEAD"]))
    }

    @Test func headFallsBackToAnyWithoutGet() throws {
        let t = try table(["POST /a", "ANY /a"])
        #expect(route(t, "HEAD", "/a") == 1)
    }

    // MARK: 405, 404 and $default

    @Test func methodNotAllowedListsSortedDistinctMethods() throws {
        let t = try table(["PUT /o/{id}", "DELETE /o/{id}", "GET /o/{id}", "PATCH /o/7", "POST /o/{id}/{r+}"])
        #expect(t.match(method: "POST", path: "/o/7") == .methodNotAllowed(allow: ["DELETE", "GET", "HEAD", "PATCH", "PUT"]))
        #expect(t.match(method: "POST", path: "/o/8") == .methodNotAllowed(allow: ["DELETE", "GET", "HEAD", "PUT"]))
        #expect(t.match(method: "GET", path: "/o/8/x") == .methodNotAllowed(allow: ["POST"]))
        #expect(t.match(method: "TRACE", path: "/o/8") == .methodNotAllowed(allow: ["DELETE", "GET", "HEAD", "PUT"]))
        #expect(t.match(method: "GET", path: "/p") == .notFound)
    }

    @Test func headOnlyRouteDoesNotAddGet() throws {
        let t = try table(["HEAD /a"])
        #expect(t.match(method: "GET", path: "/a") == .methodNotAllowed(allow: ["HEAD"]))
    }

    @Test func defaultCatchesUnmatchedPathsAndMethods() throws {
        let t = try table(["GET /a", "$default"])
        #expect(t.match(method: "GET", path: "/zzz") == .matched(route: 1, parameters: PathParameters()))
        #expect(t.match(method: "POST", path: "/a") == .matched(route: 1, parameters: PathParameters()))
        #expect(route(t, "GET", "/a") == 0)
        let onlyDefault = try table(["$default"])
        #expect(route(onlyDefault, "DELETE", "") == 0)
    }

    @Test func emptyTable() throws {
        let t = try table([])
        #expect(t.match(method: "GET", path: "/") == .notFound)
    }

    // MARK: Conflicts

    @Test func duplicatesIgnoreParameterNames() {
        #expect(conflict(["GET /a/{x}", "POST /a/{x}", "GET /a/{y}"])
            == RouteConflict(first: 0, second: 2, message: "duplicates route \"GET /a/{x}\""))
        #expect(conflict(["ANY /p/{a+}", "ANY /p/{b+}"])
            == RouteConflict(first: 0, second: 1, message: "duplicates route \"ANY /p/{a+}\""))
        #expect(conflict(["GET /", "GET /"]) == RouteConflict(first: 0, second: 1, message: "duplicates route \"GET /\""))
        #expect(conflict(["$default", "GET /", "$default"])
            == RouteConflict(first: 0, second: 2, message: "duplicates route \"$default\""))
    }

    @Test func ambiguousRoutesWithSamePrecedence() {
        #expect(conflict(["GET /{y}/b", "GET /a/{x}"])
            == RouteConflict(first: 0, second: 1, message: "is ambiguous with route \"GET /{y}/b\" (both match /a/b)"))
        #expect(conflict(["ANY /{x}/c/{y}", "ANY /a/{z}/{w}"])
            == RouteConflict(first: 0, second: 1, message: "is ambiguous with route \"ANY /{x}/c/{y}\" (both match /a/c/x)"))
        #expect(conflict(["GET /{a+}", "GET /{x}/{b+}"])
            == RouteConflict(first: 0, second: 1, message: "is ambiguous with route \"GET /{a+}\" (both match /x/x)"))
        #expect(conflict(["GET /a/{x}/{r+}", "GET /{y}/b/c/d/{r+}"]) == nil)  // 1 vs 3 literals
        #expect(conflict(["GET /a/{x}/{r+}", "GET /{y}/b/{r+}"])
            == RouteConflict(first: 0, second: 1, message: "is ambiguous with route \"GET /a/{x}/{r+}\" (both match /a/b/x)"))
        #expect(conflict(["GET /{y}/b/c/{r+}", "GET /a/{x}/c/{r+}"])
            == RouteConflict(first: 0, second: 1, message: "is ambiguous with route \"GET /{y}/b/c/{r+}\" (both match /a/b/c/x)"))
        // Longer greedy prefix against a shorter one, found in the shorter one's subtree.
        #expect(conflict(["GET /{y}/b/{z}/{r+}", "GET /a/{r+}"])
            == RouteConflict(first: 0, second: 1, message: "is ambiguous with route \"GET /{y}/b/{z}/{r+}\" (both match /a/b/x/x)"))
    }

    @Test func greedyRoutesWithEqualLiteralsAreAmbiguousWhateverTheirLength() {
        // The contract ranks only literal count, then {name} vs {name+}, then method: two greedy routes with the same
        // literal count tie on every rule, so overlapping ones are rejected rather than silently ordered.
        #expect(conflict(["GET /a/{x}/{r+}", "GET /a/{r+}"])
            == RouteConflict(first: 0, second: 1, message: "is ambiguous with route \"GET /a/{x}/{r+}\" (both match /a/x/x)"))
    }

    @Test func reportsTheEarliestConflictingRoute() {
        let c = conflict(["GET /{y}/b", "GET /{y}/c", "GET /{z}/{w}", "GET /x/{y}"])
        #expect(c?.first == 0)
        #expect(c?.second == 3)
    }

    @Test func overlapsResolvedByPrecedenceAreFine() {
        #expect(conflict(["GET /a/{x}", "ANY /{y}/b"]) == nil)          // method decides
        #expect(conflict(["GET /a/{x}", "HEAD /{y}/b"]) == nil)         // HEAD beats GET-for-HEAD
        #expect(conflict(["GET /a/{x}", "POST /{y}/b"]) == nil)         // disjoint methods
        #expect(conflict(["GET /a/{x}", "GET /{y}/{z}"]) == nil)        // literal count decides
        #expect(conflict(["GET /a/{x}", "GET /{y}/b/c"]) == nil)        // different lengths never overlap
        #expect(conflict(["GET /a/{x}", "GET /{y}/{r+}"]) == nil)
        #expect(conflict(["GET /a/{x}", "GET /a/{r+}"]) == nil)         // {name} over {name+}
        #expect(conflict(["GET /a/{x}", "GET /b/{y}"]) == nil)          // different literals never overlap
        #expect(conflict(["GET /a/{r+}", "GET /b/{r+}"]) == nil)
    }

    // MARK: Scale

    static func manyKeys(_ services: Int) -> [String] {
        var keys: [String] = []
        for i in 0..<services {
            keys.append("GET /svc\(i)/items/{id}")
            keys.append("POST /svc\(i)/items")
            keys.append("ANY /svc\(i)/files/{path+}")
            keys.append("DELETE /{tenant}/svc\(i)/items/{id}")
        }
        return keys
    }

    @Test func tenThousandRoutesMatchCorrectly() throws {
        let keys = RouteTableTests.manyKeys(2_500)
        #expect(keys.count == 10_000)
        let t = try table(keys)
        for i in stride(from: 0, to: 2_500, by: 7) {
            #expect(route(t, "GET", Substring("/svc\(i)/items/\(i * 3)")) == 4 * i)
            #expect(route(t, "POST", Substring("/svc\(i)/items")) == 4 * i + 1)
            #expect(params(t, "PUT", Substring("/svc\(i)/files/a/b")) == ["path": "a/b"])
            #expect(route(t, "DELETE", Substring("/acme/svc\(i)/items/9")) == 4 * i + 3)
            #expect(t.match(method: "PUT", path: Substring("/svc\(i)/items")) == .methodNotAllowed(allow: ["POST"]))
        }
        #expect(t.match(method: "GET", path: "/svc2500/items/1") == .notFound)
    }

    @Test func visitedNodesDoNotGrowWithRouteCount() throws {
        let small = try table(RouteTableTests.manyKeys(10))
        let large = try table(RouteTableTests.manyKeys(2_500))
        #expect(large.nodeCount > 100 * small.nodeCount / 2)
        for (method, path) in [("GET", "/svc7/items/1"), ("DELETE", "/t/svc7/items/1"), ("GET", "/svc7/files/a/b/c"),
                               ("GET", "/nothing/here"), ("GET", "/svc7/items/1/too/deep")] {
            let s = small.visitedNodes(method: Substring(method), path: Substring(path))
            let l = large.visitedNodes(method: Substring(method), path: Substring(path))
            #expect(s == l, "\(method) \(path)")
            #expect(l <= 2 * (path.split(separator: "/").count + 1))
        }
    }

    @Test func manyMatchesOnALargeTable() throws {
        let t = try table(RouteTableTests.manyKeys(2_500))
        var hits = 0
        for n in 0..<20_000 {
            let i = n % 2_500
            if case .matched(let r, _) = t.match(method: "GET", path: Substring("/svc\(i)/items/\(n)")), r == 4 * i { hits += 1 }
        }
        #expect(hits == 20_000)
    }
}
