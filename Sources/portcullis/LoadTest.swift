import ArgumentParser
import Foundation
import GatewayConfig
import LoadTest

/// `portcullis loadtest [options] URL`: offers requests at a constant rate (open loop) and reports what the
/// gateway admitted, throttled and how fast it answered; with `--expect-*`, how far that is from exact.
struct LoadTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadtest",
        abstract: "Load-test a URL at a constant request rate and measure its rate limits.",
        discussion: """
            Requests are due at a constant rate whatever the server does (open loop): latency is measured from \
            when each request was due, so a stalled server is charged for every request it delayed. Admitted = 2xx \
            answers, throttled = 429. With --expect-rate/--expect-burst, or --expect-from gateway.json, the \
            expected admitted count is computed by running the gateway's own limiter over the exact schedule \
            (fresh buckets and quotas assumed).
            """)

    @Argument(help: "http:// or https:// URL to load.")
    var url: String

    @Option(help: "Requests per second to offer.")
    var rate: Double

    @Option(help: "How long to offer them: seconds, or 250ms, 30s, 5m.")
    var duration: String = "10s"

    @Option(help: "Keep-alive connections (one request in flight on each).")
    var connections: Int = 50

    @Option(help: "Client event loop threads.")
    var threads: Int = 1

    @Option(help: "Request method.")
    var method: String = "GET"

    @Option(name: .customLong("header"), help: "A request header, \"Name: value\" (repeatable).")
    var headers: [String] = []

    @Option(help: "Request body.")
    var body: String?

    @Option(name: .customLong("body-file"), help: "Request body read from a file.")
    var bodyFile: String?

    @Option(name: .customLong("api-key"), help: "An x-api-key value (repeatable: keys take turns, each reported on its own).")
    var apiKeys: [String] = []

    @Option(help: "Seconds before a request without an answer counts as an error.")
    var timeout: Double = 10

    @Flag(help: "HTTPS: do not verify the server's certificate (self-signed test certificates).")
    var insecure = false

    @Option(help: "HTTPS: trust this CA certificate file (PEM).")
    var cacert: String?

    @Option(name: .customLong("expect-rate"), help: "The limit's rate (requests per second), to compute the expected admitted count.")
    var expectRate: Double?

    @Option(name: .customLong("expect-burst"), help: "The limit's burst, with --expect-rate.")
    var expectBurst: Int?

    @Option(name: .customLong("expect-from"), help: "A gateway.json: the expected admitted count from the limits it applies to this URL and these keys.")
    var expectFrom: String?

    @Flag(help: "Print one JSON object instead of tables.")
    var json = false

    func validate() throws {
        guard rate > 0, rate <= 1_000_000 else { throw ValidationError("--rate must be in (0, 1000000]") }
        guard connections >= 1, connections <= 10_000 else { throw ValidationError("--connections must be in [1, 10000]") }
        guard threads >= 1, threads <= 64 else { throw ValidationError("--threads must be in [1, 64]") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        guard (expectRate == nil) == (expectBurst == nil) else {
            throw ValidationError("--expect-rate and --expect-burst go together")
        }
        guard expectRate == nil || expectFrom == nil else { throw ValidationError("give --expect-rate/--expect-burst or --expect-from, not both") }
        guard body == nil || bodyFile == nil else { throw ValidationError("give --body or --body-file, not both") }
        guard !method.isEmpty, method.utf8.allSatisfy({ (65...90).contains($0) }) else {
            throw ValidationError("--method must be an upper-case HTTP method such as GET or POST")
        }
    }

    func run() async throws {
        let target: LoadTestTarget
        switch LoadTestTarget.parse(url) {
        case .success(let parsed): target = parsed
        case .failure(let error): throw ValidationError(error.description)
        }
        guard let parsedDuration = LoadTestDuration.parse(duration) else {
            throw ValidationError("--duration: use seconds (30, 0.5) or a number with ms, s, m, h or d (\"30s\"), at most 1d")
        }
        var parsedHeaders: [(name: String, value: String)] = []
        for header in headers {
            guard let colon = header.firstIndex(of: ":"), colon != header.startIndex else {
                throw ValidationError("--header must be \"Name: value\" (got \"\(header)\")")
            }
            parsedHeaders.append((String(header[..<colon]), String(header[header.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
        }
        var bodyBytes = Array((body ?? "").utf8)
        if let bodyFile {
            guard let data = FileManager.default.contents(atPath: bodyFile) else {
                throw ValidationError("--body-file: cannot read \(bodyFile)")
            }
            bodyBytes = Array(data)
        }
        let plan = LoadTestPlan(target: target, rate: rate, duration: parsedDuration, connections: connections,
                                threads: threads, method: method, headers: parsedHeaders, body: bodyBytes,
                                apiKeys: apiKeys, timeout: .milliseconds(Int64(timeout * 1000)), insecure: insecure,
                                caFile: cacert)
        let startEpoch = Int64(Date().timeIntervalSince1970 * 1e9)
        var expectation: AdmissionExpectation?
        if let expectRate, let expectBurst {
            switch AdmissionExpectation.bucket(rate: expectRate, burst: expectBurst, plan: plan) {
            case .success(let e): expectation = e
            case .failure(let error): throw ValidationError(error.description)
            }
        } else if let expectFrom {
            switch AdmissionExpectation.fromConfig(path: expectFrom, plan: plan,
                                                   environment: ProcessInfo.processInfo.environment,
                                                   startEpoch: startEpoch) {
            case .success(let e): expectation = e
            case .failure(let error): throw ValidationError("--expect-from: \(error.description)")
            }
        }
        let progress = ProgressPrinter(tty: isatty(STDERR_FILENO) == 1, quiet: false)
        let started = ContinuousClock.now
        let results = try await LoadTestRunner.run(plan) { progress.show($0) }
        progress.finish()
        let elapsed = ContinuousClock.now - started
        let report = LoadTestReport(plan: plan, results: results, expectation: expectation,
                                    elapsedSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        print(json ? report.json() : report.text(), terminator: "")
    }
}

/// The live line: rewritten in place on a terminal, one line per second otherwise (logs, CI).
final class ProgressPrinter: Sendable {
    let tty: Bool
    let quiet: Bool

    init(tty: Bool, quiet: Bool) {
        self.tty = tty
        self.quiet = quiet
    }

    func show(_ p: LoadTestProgress) {
        guard !quiet else { return }
        let seconds = Double(p.elapsed.components.seconds) + Double(p.elapsed.components.attoseconds) / 1e18
        let line = String(format: "%6.1fs  sent %d  admitted %d  throttled %d  other %d  errors %d  rate %.0f/s",
                          seconds, p.counts.sent, p.counts.admitted, p.counts.throttled, p.counts.other, p.counts.errors,
                          p.currentRate)
        FileHandle.standardError.write(Data((tty ? "\r\u{1B}[K" + line : line + "\n").utf8))
    }

    func finish() {
        if tty && !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
