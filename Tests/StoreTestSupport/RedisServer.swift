import Foundation
import NIOCore
import NIOPosix

/// A real `redis-server` on a free loopback port, started by the test and stopped after it (no disk persistence).
public final class RedisServer: Sendable {
    public static let executable: String? = ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/opt/homebrew/bin/redis-server"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    public static var available: Bool { executable != nil }

    public let port: Int
    private let process: Process

    private init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    /// Starts a server on `port` (a free one when nil; a stopped server's port to restart it).
    public static func start(password: String? = nil, port: Int? = nil) async throws -> RedisServer {
        let executable = try require_(executable, "redis-server is not installed")
        let port = try port ?? freeLoopbackPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        var arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                         "--daemonize", "no", "--loglevel", "warning"]
        if let password { arguments += ["--requirepass", password] }
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = RedisServer(port: port, process: process)
        for _ in 0..<200 {
            if let socket = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get() {
                try? await socket.close()
                return server
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        server.stop()
        throw RedisServerError(description: "redis-server did not listen on \(port)")
    }

    /// SIGKILL: the server keeps nothing on disk, and a child spawned from a test thread may inherit a signal mask
    /// that blocks SIGTERM (it then never exits, and `waitUntilExit` spins).
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// A loopback port nothing listens on: bound to port 0, read back, released.
    public static func freeLoopbackPort() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).wait()
        defer { try? channel.close().wait() }
        return channel.localAddress!.port!
    }
}

public struct RedisServerError: Error, CustomStringConvertible {
    public let description: String
}

/// `value` or a thrown error saying why it is missing.
public func require_<T>(_ value: T?, _ message: String) throws -> T {
    guard let value else { throw RedisServerError(description: message) }
    return value
}
