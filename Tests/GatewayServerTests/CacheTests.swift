import Foundation
import Testing

extension GatewayServerTests {
    /// Route caching over real sockets, against an upstream that counts what reaches it.
    @Suite struct Cache {
        static func config(upstream: Int, ttl: Int = 60, extraRoute: String = "", cache: String = "") -> String {
            TestGateway.config((cache.isEmpty ? "" : cache + ", ") + #"""
                "accessLog": { "path": "access.log" },
                "apis": [ { "name": "api", "routes": [
                  { "route": "GET /items/{id}", "integration": { "type": "http", "url": "http://127.0.0.1:\#(upstream)" },
                    "cache": { "ttl": \#(ttl) } },
                  { "route": "GET /keyed/{id}", "integration": { "type": "http", "url": "http://127.0.0.1:\#(upstream)" },
                    "cache": { "ttl": 60, "keyParameters": ["query.lang", "header.x-tenant"] } },
                  { "route": "GET /fresh/{id}", "integration": { "type": "http", "url": "http://127.0.0.1:\#(upstream)" },
                    "cache": { "ttl": 60, "invalidation": "allow" } },
                  { "route": "ANY /any/{p+}", "integration": { "type": "http", "url": "http://127.0.0.1:\#(upstream)" },
                    "cache": { "ttl": 60 } },
                  { "route": "GET /mock", "integration": { "type": "mock", "status": 200, "body": "mocked" },
                    "cache": { "ttl": 60 } },
                  { "route": "GET /plain/{id}", "integration": { "type": "http", "url": "http://127.0.0.1:\#(upstream)" } }
                  \#(extraRoute) ] } ]
                """#)
        }

        func withCache(ttl: Int = 60, cache: String = "", _ body: (TestGateway, TestUpstream) async throws -> Void) async throws {
            try await withUpstream { upstream in
                try await withGateway(Self.config(upstream: upstream.port, ttl: ttl, cache: cache)) { gateway in
                    try await body(gateway, upstream)
                }
            }
        }

        @Test func aSecondGetIsAHitWithAgeAndCacheStatusAndTheUpstreamSeesOne() async throws {
            try await withCache { gateway, upstream in
                let first = try exchange(port: gateway.port, get("/items/1"))
                #expect(first.status == 200 && first.header("cache-status") == "Portcullis; fwd=miss; stored")
                #expect(first.header("age") == nil)
                let second = try exchange(port: gateway.port, get("/items/1"))
                #expect(second.status == 200 && second.body == first.body)
                #expect(second.header("cache-status")?.hasPrefix("Portcullis; hit; ttl=") == true)
                #expect(second.header("age") == "0" && second.header("content-length") == String(first.body.count))
                #expect(second.header("content-type") == "application/json")
                #expect(upstream.requestCount == 1)
                // A plain route is not cached and carries no Cache-Status.
                let plain = try exchange(port: gateway.port, get("/plain/1"))
                #expect(plain.header("cache-status") == nil)
                let log = try await AccessLog.lines(in: gateway, count: 3)
                #expect(log.map { $0["cache"]?.string }.sorted { ($0 ?? "") < ($1 ?? "") } == [nil, "hit", "miss"])
            }
        }

        @Test func queryOrderSharesAnEntryAndKeyParametersNarrowIt() async throws {
            try await withCache { gateway, upstream in
                _ = try exchange(port: gateway.port, get("/items/1?a=1&b=2"))
                #expect(try exchange(port: gateway.port, get("/items/1?b=2&a=1")).header("cache-status")?.contains("hit") == true)
                #expect(try exchange(port: gateway.port, get("/items/1?a=1&b=3")).header("cache-status")?.contains("miss") == true)
                #expect(upstream.requestCount == 2)
                _ = try exchange(port: gateway.port, get("/keyed/1?lang=de&utm=1", headers: ["x-tenant: acme"]))
                let same = try exchange(port: gateway.port, get("/keyed/2?utm=2&lang=de", headers: ["X-Tenant: acme"]))
                #expect(same.header("cache-status")?.contains("hit") == true)  // path and utm are not in the key
                let other = try exchange(port: gateway.port, get("/keyed/1?lang=de", headers: ["x-tenant: other"]))
                #expect(other.header("cache-status")?.contains("miss") == true)
                #expect(upstream.requestCount == 4)
            }
        }

        @Test func noStorePrivateAndSetCookieAreNotStored() async throws {
            try await withCache { gateway, upstream in
                for field in ["Cache-Control:no-store", "Cache-Control:private", "Set-Cookie:a%3Db", "Cache-Control:max-age%3D0"] {
                    let path = "/items/1?h=" + field.replacingOccurrences(of: " ", with: "%20")
                    let first = try exchange(port: gateway.port, get(path))
                    #expect(first.status == 200 && first.header("cache-status") == "Portcullis; fwd=miss")
                    #expect(try exchange(port: gateway.port, get(path)).header("cache-status") == "Portcullis; fwd=miss")
                }
                #expect(upstream.requestCount == 8)
            }
        }

        @Test func oneUsersAuthorizedAnswerIsNeverServedToAnother() async throws {
            try await withCache { gateway, upstream in
                let alice = try exchange(port: gateway.port, get("/items/7", headers: ["Authorization: Bearer alice"]))
                #expect(alice.header("cache-status") == "Portcullis; fwd=miss")
                let bob = try exchange(port: gateway.port, get("/items/7", headers: ["Authorization: Bearer bob"]))
                #expect(bob.header("cache-status") == "Portcullis; fwd=miss")
                #expect(try JSON.parse(bob.body)["headers"]?.array?.contains { $0.array?.last?.string == "Bearer bob" } == true)
                // Unless the upstream says a shared cache may keep it.
                let shared = "/items/8?h=Cache-Control:public"
                _ = try exchange(port: gateway.port, get(shared, headers: ["Authorization: Bearer alice"]))
                #expect(try exchange(port: gateway.port, get(shared)).header("cache-status")?.contains("hit") == true)
                #expect(upstream.requestCount == 3)
            }
        }

        @Test func aHitCarriesTheGatewaysRequestIdAndNoneOfTheUpstreamsConnectionFields() async throws {
            try await withCache { gateway, upstream in
                let miss = try exchange(port: gateway.port, get("/any/hop-response"))
                let hit = try exchange(port: gateway.port, get("/any/hop-response"))
                #expect(hit.header("cache-status")?.contains("hit") == true)
                for response in [miss, hit] {
                    #expect(response.headerValues("x-request-id").count == 1)
                    #expect(response.header("x-request-id") != "upstream-made-this")
                    #expect(response.header("x-upstream-private") == nil && response.header("keep-alive") == nil)
                    #expect(response.header("x-upstream-public") == "ok")
                }
                #expect(upstream.requestCount == 1)
            }
        }

        @Test func dotSegmentsAndEscapesNameTheSameEntryAsTheNormalPath() async throws {
            try await withCache { gateway, upstream in
                _ = try exchange(port: gateway.port, get("/items/1"))
                for path in ["/items/./1", "/items/%31", "/items/x/../1"] {
                    let response = try exchange(port: gateway.port, get(path))
                    #expect(response.status == 200 && response.header("cache-status")?.contains("hit") == true, "\(path)")
                }
                // An empty segment is kept (the upstream is sent "//items/1"), so it is an entry of its own.
                #expect(try exchange(port: gateway.port, get("//items/1")).header("cache-status") == "Portcullis; fwd=miss; stored")
                #expect(upstream.requestCount == 2)
            }
        }

        @Test func aBodySentWithAHitIsDrainedNeverReadAsTheNextRequest() async throws {
            try await withCache { gateway, upstream in
                _ = try exchange(port: gateway.port, get("/items/1"))
                let client = try RawClient(port: gateway.port)
                defer { client.close() }
                let hidden = "GET /plain/1 HTTP/1.1\r\nHost: x\r\n\r\n"
                try client.send("GET /items/1 HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: \(hidden.utf8.count)\r\n\r\n" + hidden)
                #expect(try client.readResponse().header("cache-status")?.contains("hit") == true)
                try client.send(get("/items/1"))
                #expect(try client.readResponse().header("cache-status")?.contains("hit") == true)
                #expect(upstream.requestCount == 1)  // the hidden /plain/1 never reached the upstream
            }
        }

        @Test func varyKeepsAVariantPerHeaderValue() async throws {
            try await withCache { gateway, upstream in
                let path = "/items/1?h=Vary:Accept-Language"
                _ = try exchange(port: gateway.port, get(path, headers: ["accept-language: de"]))
                _ = try exchange(port: gateway.port, get(path, headers: ["accept-language: en"]))
                let de = try exchange(port: gateway.port, get(path, headers: ["Accept-Language: de"]))
                #expect(de.header("cache-status")?.contains("hit") == true)
                #expect(try JSON.parse(de.body)["headers"]?.array?.contains { $0.array?.last?.string == "de" } == true)
                #expect(upstream.requestCount == 2)
            }
        }

        @Test func conditionalRequestsMatchingAFreshEntryGet304() async throws {
            try await withCache { gateway, upstream in
                let path = "/items/1?h=ETag:%22v1%22&h=Last-Modified:Sun,%2006%20Nov%201994%2008:49:37%20GMT"
                _ = try exchange(port: gateway.port, get(path))
                let etag = try exchange(port: gateway.port, get(path, headers: [#"If-None-Match: "v0", W/"v1""#]))
                #expect(etag.status == 304 && etag.body.isEmpty && etag.header("etag") == #""v1""#)
                #expect(etag.header("content-length") == nil && etag.header("cache-status")?.contains("hit") == true)
                let since = try exchange(port: gateway.port, get(path, headers: ["If-Modified-Since: Mon, 07 Nov 1994 00:00:00 GMT"]))
                #expect(since.status == 304)
                let older = try exchange(port: gateway.port, get(path, headers: ["If-Modified-Since: Sat, 05 Nov 1994 00:00:00 GMT"]))
                #expect(older.status == 200 && !older.body.isEmpty)
                let otherTag = try exchange(port: gateway.port, get(path, headers: [#"If-None-Match: "v2""#]))
                #expect(otherTag.status == 200)
                #expect(upstream.requestCount == 1)
            }
        }

        @Test func headIsAnsweredFromTheGetEntryAndOtherMethodsBypass() async throws {
            try await withCache { gateway, upstream in
                let get = try exchange(port: gateway.port, get("/any/x"))
                let head = try exchange(port: gateway.port, "HEAD /any/x HTTP/1.1\r\nHost: gateway.test\r\n\r\n", headRequest: true)
                #expect(head.status == 200 && head.body.isEmpty && head.header("content-length") == String(get.body.count))
                #expect(head.header("cache-status")?.contains("hit") == true)
                let post = try exchange(port: gateway.port, "POST /any/x HTTP/1.1\r\nHost: gateway.test\r\ncontent-length: 0\r\n\r\n")
                #expect(post.header("cache-status") == "Portcullis; fwd=method")
                #expect(upstream.requestCount == 2)
            }
        }

        @Test func entriesExpireAfterTheirTTL() async throws {
            try await withCache(ttl: 1) { gateway, upstream in
                _ = try exchange(port: gateway.port, get("/items/1"))
                #expect(try exchange(port: gateway.port, get("/items/1")).header("cache-status")?.contains("hit") == true)
                try await Task.sleep(for: .milliseconds(1100))
                #expect(try exchange(port: gateway.port, get("/items/1")).header("cache-status") == "Portcullis; fwd=miss; stored")
                #expect(upstream.requestCount == 2)
            }
        }

        @Test func clientNoCacheRefreshesOnlyWhereTheRouteAllowsIt() async throws {
            try await withCache { gateway, upstream in
                _ = try exchange(port: gateway.port, get("/items/1"))
                let ignored = try exchange(port: gateway.port, get("/items/1", headers: ["Cache-Control: no-cache"]))
                #expect(ignored.header("cache-status")?.contains("hit") == true)
                _ = try exchange(port: gateway.port, get("/fresh/1"))
                let refreshed = try exchange(port: gateway.port, get("/fresh/1", headers: ["cache-control: max-age=0"]))
                #expect(refreshed.header("cache-status") == "Portcullis; fwd=request; stored")
                #expect(upstream.requestCount == 3)
            }
        }

        @Test func theAdminFlushEmptiesTheCacheByAPIAndRoute() async throws {
            try await withCache { gateway, upstream in
                _ = try exchange(port: gateway.port, get("/items/1"))
                _ = try exchange(port: gateway.port, get("/any/x"))
                let flushRoute = try exchange(port: gateway.adminPort,
                                              "DELETE /cache?api=api&route=GET%20%2Fitems%2F%7Bid%7D HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(flushRoute.status == 200 && flushRoute.bodyText == #"{"removed":1}"#)
                #expect(try exchange(port: gateway.port, get("/any/x")).header("cache-status")?.contains("hit") == true)
                #expect(try exchange(port: gateway.port, get("/items/1")).header("cache-status")?.contains("miss") == true)
                let flushAll = try exchange(port: gateway.adminPort, "DELETE /cache HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(flushAll.bodyText == #"{"removed":2}"#)
                try expectProblem(try exchange(port: gateway.adminPort, "DELETE /cache?bogus=1 HTTP/1.1\r\nHost: a\r\n\r\n"),
                                  status: 400, code: "BAD_REQUEST")
                let metrics = try exchange(port: gateway.adminPort, get("/metrics")).bodyText
                #expect(metrics.contains("portcullis_cache_hits_total 1") && metrics.contains("portcullis_cache_stores_total 3"))
                #expect(upstream.requestCount == 3)
            }
        }

        @Test func aMockRouteIsCachedToo() async throws {
            try await withCache { gateway, _ in
                #expect(try exchange(port: gateway.port, get("/mock")).header("cache-status") == "Portcullis; fwd=miss; stored")
                let hit = try exchange(port: gateway.port, get("/mock"))
                #expect(hit.bodyText == "mocked" && hit.header("cache-status")?.contains("hit") == true)
            }
        }

        @Test func aChunkedResponseIsStoredDechunkedAndServedWithItsLength() async throws {
            try await withCache { gateway, upstream in
                let first = try exchange(port: gateway.port, get("/any/chunked/2500"))
                #expect(first.status == 200 && first.body.count == 2500 && first.header("cache-status") == "Portcullis; fwd=miss")
                let hit = try exchange(port: gateway.port, get("/any/chunked/2500"))
                #expect(hit.header("cache-status")?.contains("hit") == true && hit.header("transfer-encoding") == nil)
                #expect(hit.header("content-length") == "2500" && hit.body == first.body)
                #expect(upstream.requestCount == 1)
            }
        }

        @Test func aResponseOverMaxEntrySizeStreamsThroughWithoutBeingStored() async throws {
            try await withCache(cache: #""cache": { "capacity": "1MB", "maxEntrySize": "64KB" }"#) { gateway, upstream in
                for _ in 0..<2 {
                    let big = try exchange(port: gateway.port, get("/any/bytes/1000000"), timeout: .seconds(20))
                    #expect(big.status == 200 && big.body.count == 1_000_000 && big.header("cache-status") == "Portcullis; fwd=miss")
                }
                let chunked = try exchange(port: gateway.port, get("/any/chunked/200000"), timeout: .seconds(20))
                #expect(chunked.body.count == 200_000)
                #expect(try exchange(port: gateway.port, get("/any/chunked/200000")).header("cache-status") == "Portcullis; fwd=miss")
                #expect(upstream.requestCount == 4)
            }
        }
    
        @Test func a50MBResponseOnACachedRouteStreamsThroughWithFlatMemory() async throws {
            try await withCache { gateway, upstream in
                let baseline = residentBytes()
                for _ in 0..<2 {
                    let result = try ExternalTool.run("/usr/bin/curl", [
                        "-s", "-o", "/dev/null", "-D", "/dev/stderr", "-w", "%{http_code} %{size_download}",
                        "http://127.0.0.1:\(gateway.port)/any/bytes/52428800"], timeout: 60)
                    #expect(result.stdout == "200 52428800")
                    #expect(result.stderr.lowercased().contains("cache-status: portcullis; fwd=miss\r"))
                }
                let grown = residentBytes() - baseline
                #expect(grown < 24 * 1024 * 1024, "RSS grew by \(grown / 1024 / 1024) MB")
                #expect(upstream.requestCount == 2)
            }
        }

        /// Sends `count` requests on their own connections at once (the gateway spreads connections over its two
        /// event loops), then reads every response.
        func concurrently(_ count: Int, port: Int, _ request: String) throws -> [RawResponse] {
            let clients = try (0..<count).map { _ in try RawClient(port: port) }
            defer { clients.forEach { $0.close() } }
            for client in clients { try client.send(request) }
            return try clients.map { try $0.readResponse(timeout: .seconds(15)) }
        }

        @Test func concurrentMissesForOneKeyMakeOneUpstreamRequest() async throws {
            try await withCache { gateway, upstream in
                let responses = try concurrently(100, port: gateway.port, get("/any/delay/300"))
                #expect(responses.allSatisfy { $0.status == 200 && $0.body == responses[0].body })
                #expect(upstream.requestCount == 1)
                let statuses = Dictionary(grouping: responses.map { $0.header("cache-status") ?? "-" }) { $0.contains("hit") ? "hit" : $0 }
                #expect(statuses["Portcullis; fwd=miss; stored"]?.count == 1 && statuses["hit"]?.count == 99)
            }
        }

        @Test func waitersOfAResponseThatIsNotCacheableAreEachForwarded() async throws {
            try await withCache { gateway, upstream in
                let responses = try concurrently(20, port: gateway.port, get("/any/delay/200?h=Cache-Control:no-store"))
                #expect(responses.allSatisfy { $0.status == 200 && $0.header("cache-status") == "Portcullis; fwd=miss" })
                #expect(upstream.requestCount == 20)
            }
        }

        @Test func aWaiterThatLeavesDoesNotDisturbTheOthers() async throws {
            try await withCache { gateway, upstream in
                let leader = try RawClient(port: gateway.port)
                defer { leader.close() }
                try leader.send(get("/any/delay/400"))
                try await Task.sleep(for: .milliseconds(50))
                let leaving = try (0..<5).map { _ in try RawClient(port: gateway.port) }
                for client in leaving { try client.send(get("/any/delay/400")) }
                let staying = try (0..<5).map { _ in try RawClient(port: gateway.port) }
                defer { staying.forEach { $0.close() } }
                for client in staying { try client.send(get("/any/delay/400")) }
                try await Task.sleep(for: .milliseconds(50))
                leaving.forEach { $0.abort() }
                #expect(try leader.readResponse().header("cache-status") == "Portcullis; fwd=miss; stored")
                for client in staying { #expect(try client.readResponse().header("cache-status")?.contains("hit") == true) }
                #expect(upstream.requestCount == 1)
            }
        }

        /// A leader that leaves, then `waiters` clients asking for the same key: what each waiter got.
        func leaderLeaves(_ path: String, port: Int, waiters count: Int = 4) async throws -> [RawResponse] {
            let leader = try RawClient(port: port)
            try leader.send(get(path))
            try await Task.sleep(for: .milliseconds(100))
            let waiters = try (0..<count).map { _ in try RawClient(port: port) }
            defer { waiters.forEach { $0.close() } }
            for client in waiters { try client.send(get(path)) }
            try await Task.sleep(for: .milliseconds(50))
            leader.abort()
            return try waiters.map { try $0.readResponse(timeout: .seconds(5)) }
        }

        @Test func whenTheLeaderLeavesBeforeTheResponseTheFillCompletesForTheWaiters() async throws {
            try await withCache { gateway, upstream in
                let responses = try await leaderLeaves("/any/delay/400", port: gateway.port)
                for response in responses {
                    #expect(response.status == 200 && response.header("cache-status")?.contains("hit") == true)
                }
                #expect(upstream.requestCount == 1)
            }
        }

        @Test func whenTheLeaderLeavesMidBodyTheFillCompletesForTheWaiters() async throws {
            try await withCache { gateway, upstream in
                let responses = try await leaderLeaves("/any/slowbody/400", port: gateway.port)
                for response in responses {
                    #expect(response.status == 200 && response.body.count == 2000)
                    #expect(response.header("cache-status")?.contains("hit") == true)
                }
                #expect(upstream.requestCount == 1)
            }
        }

        @Test func whenTheLeaderLeavesAndTheResponseIsNotCacheableEachWaiterIsForwarded() async throws {
            try await withCache { gateway, upstream in
                let responses = try await leaderLeaves("/any/delay/400?h=Cache-Control:no-store", port: gateway.port)
                #expect(responses.allSatisfy { $0.status == 200 && $0.header("cache-status") == "Portcullis; fwd=miss" })
                #expect(upstream.requestCount == 5)
            }
        }
    }
}

extension GatewayServerTests.HTTP2 {
    /// An HTTP/2 client is served from the cache like an HTTP/1.1 one, and fills it for HTTP/1.1 clients.
    @Test func http2ClientsAreServedCacheHits() async throws {
        try await Self.withH2Gateway { setup, gateway, upstream, port in
            let miss = try Self.curl(setup, port, "/cached/chunked/3000", ["-D", "/dev/stderr"])
            #expect(miss.version == "2" && miss.status == 200 && miss.size == 3000)
            #expect(miss.stderr.lowercased().contains("cache-status: portcullis; fwd=miss"))
            let hit = try Self.curl(setup, port, "/cached/chunked/3000", ["-D", "/dev/stderr"])
            #expect(hit.version == "2" && hit.size == 3000 && hit.body == miss.body)
            #expect(hit.stderr.lowercased().contains("cache-status: portcullis; hit; ttl="))
            #expect(hit.stderr.lowercased().contains("content-length: 3000"))
            // The h2 fill (de-chunked by the upstream connection for h2) serves an HTTP/1.1 client too.
            let h1 = try Self.curl(setup, port, "/cached/chunked/3000", ["-D", "/dev/stderr"], version: "--http1.1")
            #expect(h1.version == "1.1" && h1.size == 3000 && h1.stderr.lowercased().contains("hit"))
            #expect(upstream.requestCount == 1)
        }
    }
}
