import Foundation
import NIOSSL

/// Runs a command-line tool (openssl, curl) with a deadline; real peers for TLS handshake tests.
struct ExternalTool {
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ executable: String, _ arguments: [String], input: String = "",
                    timeout: TimeInterval = 20) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try? stdin.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        // Drain both pipes while waiting so a chatty tool never blocks on a full pipe.
        let outData = DataBox(), errData = DataBox()
        let group = DispatchGroup()
        for (pipe, box) in [(stdout, outData), (stderr, errData)] {
            group.enter()
            DispatchQueue.global().async {
                box.set(pipe.fileHandleForReading.readDataToEndOfFile())
                group.leave()
            }
        }
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw TestGatewayError(description: "\(executable) \(arguments.joined(separator: " ")) timed out")
        }
        process.waitUntilExit()
        group.wait()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData.get(), as: UTF8.self),
                      stderr: String(decoding: errData.get(), as: UTF8.self))
    }

    /// A NIOSSL server context from PEM files (the test upstreams that speak TLS).
    static func serverContext(_ certificate: (cert: String, key: String)) throws -> NIOSSLContext {
        try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate.cert).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: certificate.key, format: .pem))))
    }

    /// A self-signed ECDSA certificate for `names` (DNS or IP), valid for `days`, written as PEM files.
    static func makeCertificate(names: [String], directory: String, file: String, days: Int = 30) throws -> (cert: String, key: String) {
        let cert = directory + "/" + file + ".crt", key = directory + "/" + file + ".key"
        let sans = names.map { $0.first!.isNumber ? "IP:\($0)" : "DNS:\($0)" }.joined(separator: ",")
        let output = try run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
            "-out", cert, "-days", String(days), "-subj", "/CN=\(names[0])", "-addext", "subjectAltName=\(sans)",
        ])
        guard output.status == 0 else { throw TestGatewayError(description: "openssl req failed: \(output.stderr)") }
        return (cert, key)
    }
}

/// A thread-safe holder for bytes read on another queue.
final class DataBox: @unchecked Sendable {
    // Guarded by `lock`; written once by the reading queue, read after `DispatchGroup.wait()`.
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.lock(); data = value; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}

/// `openssl s_server` on a free loopback port, for positive controls: it shows that the client a test uses can
/// really speak what the gateway refuses (so a refusal is the gateway's, not a client that cannot do it).
enum OpenSSLControlServer {
    /// Starts `openssl s_server -www` with `options` (e.g. `["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"]`) and a fresh
    /// certificate, runs `body` with its port, and stops it (by its own PID).
    static func with<T>(_ options: [String], _ body: (_ port: Int) throws -> T) throws -> T {
        let directory = try TestGateway.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let certificate = try ExternalTool.makeCertificate(names: ["localhost"], directory: directory, file: "control")
        let port = try unusedLoopbackPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", certificate.cert, "-key", certificate.key,
                             "-www", "-quiet"] + options
        process.standardInput = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            // SIGKILL, not terminate(): a child spawned from a dispatch worker thread inherits its blocked signal
            // mask, SIGTERM included, and would outlive the test.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let deadline = Date().addingTimeInterval(10)
        while (try? RawClient(port: port)) == nil {
            guard process.isRunning, Date() < deadline else {
                throw TestGatewayError(description: "openssl s_server \(options.joined(separator: " ")) did not listen")
            }
            usleep(20_000)
        }
        return try body(port)
    }

    /// True when `openssl s_client` with `clientOptions` completes a handshake with an s_server started with
    /// `serverOptions`: the positive control for a refusal test using the same client options.
    static func clientHandshakes(server serverOptions: [String], client clientOptions: [String]) -> Bool {
        (try? with(serverOptions) { port in
            let output = try ExternalTool.run("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)"] + clientOptions)
            return output.status == 0 && output.stdout.contains("BEGIN CERTIFICATE")
        }) ?? false
    }
}
