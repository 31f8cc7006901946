import GatewayCore

/// A snapshot as one event loop runs it: the compiled config plus each route's integration built for this loop
/// (its upstream pools). An exchange pins one for its whole life, so a reload never mixes two configs in a request.
final class EdgeSnapshot {
    let snapshot: GatewaySnapshot
    /// Indexed like `snapshot.apis[api].routes[route]`.
    let integrations: [[any EdgeIntegration]]

    init(snapshot: GatewaySnapshot, loop: LoopState) {
        self.snapshot = snapshot
        self.integrations = snapshot.apis.map { api in
            api.routes.map { route in Self.makeIntegration(route.integration, api: api, snapshot: snapshot, loop: loop) }
        }
    }

    /// The one place that maps a configured integration kind to the type that runs it.
    private static func makeIntegration(_ integration: Integration, api: CompiledAPI, snapshot: GatewaySnapshot,
                                        loop: LoopState) -> any EdgeIntegration {
        switch integration {
        case .mock(let mock): MockIntegrationRunner(mock)
        case .http(let http): HTTPIntegrationRunner(http, trustedProxies: snapshot.settings.trustedProxies, loop: loop)
        case .function(let function):
            FunctionIntegrationRunner(function, apiName: api.name, definition: snapshot.functions[function.functionIndex],
                                      loop: loop)
        case .queue(let queue): QueueIntegrationRunner(queue, apiName: api.name, loop: loop)
        }
    }
}
