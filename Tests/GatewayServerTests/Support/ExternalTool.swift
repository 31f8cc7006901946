import Foundation

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
