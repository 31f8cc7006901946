import GatewayCore
import NIOCore
import Synchronization

/// Invokes a function outside any client request (a queue's consumer): a hosted one through its workers, a remote
/// one over the Invoke API from one of the runtime's loops. Looks the function up in the running configuration at
/// each call, so a reload's function changes apply to the next batch.
final class BackgroundInvoker: Sendable {
    private struct WeakRuntime: Sendable {
        weak var value: GatewayRuntime?
    }

    private let functionHosts: FunctionHosts
    /// Weak: the runtime holds this invoker (through its queues).
    private let runtime = Mutex(WeakRuntime())

    init(functionHosts: FunctionHosts) {
        self.functionHosts = functionHosts
    }

    func attach(_ runtime: GatewayRuntime) {
        self.runtime.withLock { $0.value = runtime }
    }

    func invoke(_ name: String, event: [UInt8]) async -> InvocationOutcome {
        guard let runtime = runtime.withLock({ $0.value }) else { return .unavailable("the gateway is stopping") }
        guard let definition = runtime.snapshot.functions.first(where: { $0.name == name }) else {
            return .unavailable("no function is named \(name)")
        }
        switch definition.backend {
        case .hosted:
            guard let hosted = functionHosts.hosted(name) else { return .unavailable("function \(name) is not running") }
            return await withCheckedContinuation { continuation in
                hosted.invoke(requestId: FunctionInvocation.randomUUID(), event: event) { continuation.resume(returning: $0) }
            }
        case .remote(let settings):
            let eventLoop = runtime.group.next()
            let timeout = definition.timeout
            return await withCheckedContinuation { continuation in
                eventLoop.execute {
                    RemoteInvocation.start(settings, event: event, loop: runtime.loopState(for: eventLoop),
                                           timeout: timeout) { continuation.resume(returning: $0) }
                }
            }
        }
    }
}
