/// Host → domain → base path → API(s) → route: 404 when nothing is mapped or matches, 405 (with `Allow`) when a
/// route matches the path but not the method.
public struct RoutingStage: RequestStage {
    let apis: [CompiledAPI]
    let hostRouter: HostRouter

    public init(apis: [CompiledAPI], hostRouter: HostRouter) {
        self.apis = apis
        self.hostRouter = hostRouter
    }

    public var name: String { "routing" }

    public func evaluate(_ request: inout RequestContext) -> StageVerdict {
        guard let resolution = hostRouter.resolve(host: request.host, path: request.path) else {
            return .respond(.problem(.resourceNotFound, "no API is mapped at \(request.rawPath)", requestId: request.requestId))
        }
        var allowed: [String] = []
        // Several APIs may share a base path: the first (in config order) with a matching route wins.
        for api in resolution.apis {
            switch apis[api].routeTable.match(method: Substring(request.method.rawValue), path: resolution.remainingPath) {
            case .matched(let route, let parameters):
                request.apiIndex = api
                request.routeIndex = route
                request.route = apis[api].routes[route]
                request.routePath = resolution.remainingPath
                request.pathParameters = parameters
                return .next
            case .methodNotAllowed(let allow):
                allowed.append(contentsOf: allow)
            case .notFound:
                break
            }
        }
        let method = request.method.rawValue
        guard !allowed.isEmpty else {
            return .respond(.problem(.resourceNotFound, "no route matches \(method) \(request.rawPath)",
                                     requestId: request.requestId))
        }
        var unique: [String] = []
        for method in allowed where !unique.contains(method) { unique.append(method) }
        return .respond(.problem(.methodNotAllowed, "\(method) is not allowed on \(request.rawPath)",
                                 requestId: request.requestId, headers: [("allow", unique.joined(separator: ", "))]))
    }
}
