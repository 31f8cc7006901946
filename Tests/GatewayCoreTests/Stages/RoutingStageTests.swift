import GatewayCore
import NIOHTTP1
import Testing

/// RoutingStage built from `domains` and `apis`: host → base path → API(s) → route, writing what it found into the
/// context; 404 when nothing is mapped or matches, 405 with `Allow` when only the method is wrong.
@Suite struct RoutingStageTests {
    static let mock = #""integration": {"type": "mock"}"#
    static let apis = #"""
        "apis": [
          {"name": "orders", "basePath": "/shop", "routes": [
            {"route": "GET /orders/{id}", \#(mock)},
            {"route": "DELETE /orders/{id}", \#(mock)},
            {"route": "GET /files/{path+}", \#(mock)},
            {"route": "GET /", \#(mock)}]},
          {"name": "admin", "basePath": "/shared", "routes": [
            {"route": "GET /users", \#(mock)},
            {"route": "GET /items/{id}", \#(mock)},
            {"route": "PUT /items/{id}", \#(mock)}]},
          {"name": "reports", "basePath": "/shared", "routes": [
            {"route": "POST /reports", \#(mock)},
            {"route": "GET /items/{id}", \#(mock)},
            {"route": "POST /items/{itemId}", \#(mock)}]}
        ]
        """#
    static let domains = #"""
        "domains": [
          {"name": "api.example.test", "mappings": [{"basePath": "/v1", "api": "orders"}, {"basePath": "/v1/admin", "api": "admin"}]},
          {"name": "*.tenants.example.test", "mappings": [{"basePath": "/", "api": "reports"}]}
        ],
        """#

    func stage(_ top: String = "") throws -> RoutingStage {
        try StageFixture.stage(RoutingStage.self, config: StageFixture.config(top + Self.domains + Self.apis))
    }

    func route(_ method: HTTPMethod, _ target: String, host: String = "gw.test",
               stage: RoutingStage? = nil) throws -> (StageVerdict, RequestContext) {
        let stage = try stage ?? self.stage()
        var request = TestRequest.make(method, target, host: host)
        let verdict = stage.evaluate(&request)
        return (verdict, request)
    }

    /// `.next`, and the context names API `api`, route `route` (its key), the path below the base path and the
    /// captured parameters.
    func expectRouted(_ method: HTTPMethod, _ target: String, host: String = "gw.test", api: Int, route: Int,
                      key: String, routePath: Substring, parameters: [String: Substring] = [:],
                      sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (verdict, request) = try self.route(method, target, host: host)
        #expect(verdict.isNext, "\(method) \(target) on \(host): \(String(describing: verdict.answer?.status))",
                sourceLocation: sourceLocation)
        #expect(request.apiIndex == api, sourceLocation: sourceLocation)
        #expect(request.routeIndex == route, sourceLocation: sourceLocation)
        #expect(request.route?.keyText == key, sourceLocation: sourceLocation)
        #expect(request.routePath == routePath, sourceLocation: sourceLocation)
        let captured = Dictionary(uniqueKeysWithValues: zip(request.pathParameters.names, request.pathParameters.values))
        #expect(captured == parameters, sourceLocation: sourceLocation)
    }

    @Test func pathParametersAreCapturedBelowTheBasePath() throws {
        #expect(try stage().name == "routing")
        try expectRouted(.GET, "/shop/orders/42", api: 0, route: 0, key: "GET /orders/{id}",
                         routePath: "/orders/42", parameters: ["id": "42"])
        try expectRouted(.DELETE, "/shop/orders/42?force=1", api: 0, route: 1, key: "DELETE /orders/{id}",
                         routePath: "/orders/42", parameters: ["id": "42"])
        try expectRouted(.GET, "/shop/files/a/b/c.txt", api: 0, route: 2, key: "GET /files/{path+}",
                         routePath: "/files/a/b/c.txt", parameters: ["path": "a/b/c.txt"])
        // GET routes answer HEAD.
        try expectRouted(.HEAD, "/shop/orders/7", api: 0, route: 0, key: "GET /orders/{id}",
                         routePath: "/orders/7", parameters: ["id": "7"])
    }

    @Test func theBasePathItselfIsTheAPIsRoot() throws {
        try expectRouted(.GET, "/shop", api: 0, route: 3, key: "GET /", routePath: "")
        try expectRouted(.GET, "/shop/", api: 0, route: 3, key: "GET /", routePath: "/")
    }

    @Test func routingSeesTheNormalisedPath() throws {
        try expectRouted(.GET, "/shop/x/../orders/%37", api: 0, route: 0, key: "GET /orders/{id}",
                         routePath: "/orders/7", parameters: ["id": "7"])
    }

    @Test func aDomainsMappingRemovesItsBasePath() throws {
        try expectRouted(.GET, "/v1/orders/7", host: "api.example.test", api: 0, route: 0, key: "GET /orders/{id}",
                         routePath: "/orders/7", parameters: ["id": "7"])
        // Host: case-insensitive, port and trailing dot ignored.
        try expectRouted(.GET, "/v1/orders/7", host: "API.Example.Test.:8443", api: 0, route: 0,
                         key: "GET /orders/{id}", routePath: "/orders/7", parameters: ["id": "7"])
        // The longest whole-segment base path wins.
        try expectRouted(.GET, "/v1/admin/users", host: "api.example.test", api: 1, route: 0, key: "GET /users",
                         routePath: "/users")
        // A wildcard domain covers one label.
        try expectRouted(.POST, "/reports", host: "acme.tenants.example.test", api: 2, route: 0, key: "POST /reports",
                         routePath: "/reports")
    }

    @Test func twoAPIsOnOneBasePathAreTriedInConfigOrder() throws {
        try expectRouted(.GET, "/shared/users", api: 1, route: 0, key: "GET /users", routePath: "/users")
        try expectRouted(.POST, "/shared/reports", api: 2, route: 0, key: "POST /reports", routePath: "/reports")
        // Both APIs have GET /items/{id}: the first in config order wins.
        try expectRouted(.GET, "/shared/items/3", api: 1, route: 1, key: "GET /items/{id}", routePath: "/items/3",
                         parameters: ["id": "3"])
        // The first has the path but not the method: the second's route answers, with its own parameter names.
        try expectRouted(.POST, "/shared/items/3", api: 2, route: 2, key: "POST /items/{itemId}",
                         routePath: "/items/3", parameters: ["itemId": "3"])
        try expectRouted(.PUT, "/shared/items/3", api: 1, route: 2, key: "PUT /items/{id}", routePath: "/items/3",
                         parameters: ["id": "3"])
    }

    @Test func aPathNoAPIIsMappedAtIs404() throws {
        let (verdict, request) = try route(.GET, "/nothing/here")
        try expectProblem(verdict.answer, status: 404, code: .resourceNotFound, connection: .keepOpen,
                          detail: "no API is mapped at /nothing/here")
        expectUnrouted(request)
    }

    @Test func aDomainWithoutAMatchingBasePathIs404WithoutFallingBack() throws {
        // The default endpoint serves /shop; a mapped domain does not fall back to it.
        let (verdict, request) = try route(.GET, "/shop/orders/7", host: "api.example.test")
        try expectProblem(verdict.answer, status: 404, code: .resourceNotFound, connection: .keepOpen,
                          detail: "no API is mapped at /shop/orders/7")
        expectUnrouted(request)
    }

    @Test func withoutTheDefaultEndpointAnUnknownHostIs404() throws {
        let stage = try stage(#""defaultEndpoint": false, "#)
        let (verdict, request) = try route(.GET, "/shop/orders/7", host: "unknown.test", stage: stage)
        try expectProblem(verdict.answer, status: 404, code: .resourceNotFound, connection: .keepOpen,
                          detail: "no API is mapped at /shop/orders/7")
        expectUnrouted(request)
        // A configured domain still routes.
        let (routed, _) = try route(.GET, "/v1/orders/7", host: "api.example.test", stage: stage)
        #expect(routed.isNext)
    }

    @Test func aMappedBasePathWithoutAMatchingRouteIs404() throws {
        let (verdict, request) = try route(.GET, "/shop/nope")
        try expectProblem(verdict.answer, status: 404, code: .resourceNotFound, connection: .keepOpen,
                          detail: "no route matches GET /shop/nope")
        expectUnrouted(request)
        // The problem shows the path as sent, not its normal form.
        let (raw, _) = try route(.GET, "/shop/./nope")
        try expectProblem(raw.answer, status: 404, code: .resourceNotFound, connection: .keepOpen,
                          detail: "no route matches GET /shop/./nope")
    }

    @Test func aWrongMethodIs405WithAllow() throws {
        let (verdict, request) = try route(.POST, "/shop/orders/7")
        try expectProblem(verdict.answer, status: 405, code: .methodNotAllowed, connection: .keepOpen,
                          detail: "POST is not allowed on /shop/orders/7", headers: ["allow: DELETE, GET, HEAD"])
        expectUnrouted(request)
    }

    @Test func a405OverSeveralAPIsListsEachMethodOnce() throws {
        // admin allows GET, HEAD, PUT and reports GET, HEAD, POST on /items/{id}.
        let (verdict, request) = try route(.DELETE, "/shared/items/3")
        try expectProblem(verdict.answer, status: 405, code: .methodNotAllowed, connection: .keepOpen,
                          detail: "DELETE is not allowed on /shared/items/3", headers: ["allow: GET, HEAD, PUT, POST"])
        expectUnrouted(request)
    }

    @Test func theRequestIdIsTheRequestsOwn() throws {
        let stage = try stage()
        var request = TestRequest.make(.GET, "/nowhere", requestId: "client-chosen.id-42")
        try expectProblem(stage.evaluate(&request).answer, status: 404, code: .resourceNotFound, connection: .keepOpen,
                          requestId: "client-chosen.id-42")
    }
}
