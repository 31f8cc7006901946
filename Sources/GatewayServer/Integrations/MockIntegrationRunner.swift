import GatewayCore
import NIOCore

/// The `mock` integration: the configured fixed response, answered at once.
final class MockIntegrationRunner: EdgeIntegration {
    private let mock: MockIntegration

    init(_ mock: MockIntegration) {
        self.mock = mock
    }

    func start(_ request: borrowing RequestContext, body: ByteBuffer?, requestEnded: Bool, host: any IntegrationHost,
               reusing spare: (any IntegrationSession)?) -> IntegrationStart {
        .answer(GatewayAnswer(status: mock.status, headers: mock.headers, body: mock.body))
    }
}
