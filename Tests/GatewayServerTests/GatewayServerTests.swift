import Testing

/// Every edge integration suite nests in here so they run one at a time: they measure timeouts and process
/// memory, which parallel suites on a small machine would distort.
@Suite(.serialized) struct GatewayServerTests {}
