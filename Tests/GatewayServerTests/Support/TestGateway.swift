import Foundation
import GatewayConfig
import GatewayCore
import GatewayServer
import Logging
import NIOCore

struct TestGatewayError: Error, CustomStringConvertible {
    let description: String
}

/// A gateway running in the test process from a config JSON string, on ephemeral loopback ports.
///
/// The config is written to a temp directory (so `POST /reload` and relative paths work); `listen` and
/// `admin.listen` default to `127.0.0.1:0` when the config leaves them out.
final class TestGateway: Sendable {
    let runtime: GatewayRuntime
    let directory: String
    let configPath: String
    let port: Int
    let adminPort: Int

    private init(runtime: GatewayRuntime, directory: String, configPath: String) throws {
        self.runtime = runtime
        self.directory = directory
        self.configPath = configPath
        guard let http = runtime.httpAddress?.port, let admin = runtime.adminAddress?.port else {
            throw TestGatewayError(description: "listeners did not report their ports")
        }
        self.port = http
        self.adminPort = admin
    }

    /// `body` is the config's top-level members without braces, e.g. `"apis": [...]`; listeners are added.
    static func config(_ body: String, adminToken: String? = nil) -> String {
        let token = adminToken.map { #", "token": "\#($0)""# } ?? ""
        return #"{ "listen": { "http": "127.0.0.1:0" }, "admin": { "listen": "127.0.0.1:0"\#(token) }, "# + body + " }"
    }

    /// A config with one API at `/` holding `routes` (a JSON array's contents).
    static func config(routes: String, extra: String = "") -> String {
        config((extra.isEmpty ? "" : extra + ", ") + #""apis": [ { "name": "test", "routes": [ "# + routes + " ] } ]")
    }

    static func start(_ configJSON: String, eventLoops: Int = 2, drainTimeout: Duration = .seconds(10),
                      environment: [String: String] = [:],
                      certificateCheckInterval: Duration = .seconds(5),
                      pipeline: ((GatewaySnapshot) throws -> RequestPipeline)? = nil) async throws -> TestGateway {
        let directory = try makeTemporaryDirectory()
        let configPath = directory + "/gateway.json"
        try configJSON.write(toFile: configPath, atomically: true, encoding: .utf8)
        let (result, fleet) = GatewayRuntime.loadConfiguration(path: configPath, environment: environment)
        guard var snapshot = result.snapshot else {
            throw TestGatewayError(description: "config rejected: " + result.diagnostics.map(\.description).joined(separator: "; "))
        }
        // Tests of verdicts no configured stage gives yet run the configured list with test stages added.
        if let pipeline { snapshot = snapshot.replacingPipeline(try pipeline(snapshot)) }
        let logger = Logger(label: "portcullis-test", factory: { _ in SwiftLogNoOpLogHandler() })
        var options = GatewayRuntime.Options(eventLoops: eventLoops, maxUpstreamConnectionsPerLoop: 64,
                                             drainTimeout: drainTimeout)
        options.certificateCheckInterval = certificateCheckInterval
        let runtime = try GatewayRuntime(
            snapshot: snapshot, configPath: configPath, options: options,
            logger: logger, environment: { environment }, fleet: fleet)
        try await runtime.start()
        return try TestGateway(runtime: runtime, directory: directory, configPath: configPath)
    }

    /// Replaces the config file (for reload tests).
    func writeConfig(_ json: String) throws {
        try json.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    func stop() async {
        await runtime.drainAndStop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func makeTemporaryDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() + "portcullis-test-XXXXXX").utf8CString)
        guard let path = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestGatewayError(description: "mkdtemp failed")
        }
        return String(cString: path)
    }
}

/// Runs `body` with a started gateway and always stops it (also when the body throws).
func withGateway<T>(_ config: String, eventLoops: Int = 2, drainTimeout: Duration = .seconds(10),
                    _ body: (TestGateway) async throws -> T) async throws -> T {
    let gateway = try await TestGateway.start(config, eventLoops: eventLoops, drainTimeout: drainTimeout)
    do {
        let result = try await body(gateway)
        await gateway.stop()
        return result
    } catch {
        await gateway.stop()
        throw error
    }
}

/// Runs `body` with a started upstream and always stops it.
func withUpstream<T>(_ body: (TestUpstream) async throws -> T) async throws -> T {
    let upstream = try await TestUpstream.start()
    do {
        let result = try await body(upstream)
        await upstream.stop()
        return result
    } catch {
        await upstream.stop()
        throw error
    }
}

/// An ephemeral loopback port that nothing listens on (bound, then closed): connecting to it is refused.
func unusedLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestGatewayError(description: "socket failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    guard ok else { throw TestGatewayError(description: "bind failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
