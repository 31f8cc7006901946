import Foundation
import Testing
@testable import GatewayServer

#if canImport(Glibc)
import Glibc
#endif

extension GatewayServerTests {
    /// How a worker process is started: what it inherits (only its stdin, stdout and stderr) and where its program
    /// is found.
    @Suite struct WorkerProcessSpawn {
        /// Reads a worker's whole stdout.
        static func output(of process: WorkerProcess) -> String {
            var data = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(process.stdout, &buffer, buffer.count)
                if count <= 0 { break }
                data += buffer[0..<count]
            }
            return String(decoding: data, as: UTF8.self)
        }

        @Test func aWorkerInheritsNoDescriptorOfTheGateway() throws {
            // A descriptor without close-on-exec, as a listening socket of the gateway's may be.
            let leaked = open("/dev/null", O_RDONLY)
            try #require(leaked > 2)
            defer { close(leaked) }
            #expect(fcntl(leaked, F_GETFD) & FD_CLOEXEC == 0)
            let process = try WorkerProcess.spawn(command: ["/bin/sh", "-c", "ls /proc/$$/fd"], environment: [:],
                                                  searchPath: WorkerProcess.defaultPATH, workingDirectory: nil, memoryMB: nil)
            let descriptors = Set(Self.output(of: process).split(separator: "\n").compactMap { Int($0) })
            #expect(descriptors.isSubset(of: [0, 1, 2, 3]), "the shell's own, and at most one it opened to list: \(descriptors.sorted())")
            #expect(!descriptors.contains(Int(leaked)) || leaked == 3)
            _ = process.reap()
        }

        @Test func theProgramIsFoundOnTheFunctionsPathElseTheGatewaysElseTheDefault() {
            #expect(WorkerProcess.searchPath(configured: [("PATH", "/opt/fn/bin")], gateway: "/root/.pyenv/shims:/usr/bin")
                    == "/opt/fn/bin")
            #expect(WorkerProcess.searchPath(configured: [("GREETING", "hi")], gateway: "/root/.pyenv/shims:/usr/bin")
                    == "/root/.pyenv/shims:/usr/bin", "the gateway's PATH, not the worker's default")
            #expect(WorkerProcess.searchPath(configured: [], gateway: nil) == WorkerProcess.defaultPATH)
        }
    }
}
