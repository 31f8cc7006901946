#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors from the raw client; every wait has a deadline, so a hang becomes `.timedOut`.
enum RawClientError: Error, CustomStringConvertible {
    case connectFailed(Int32)
    case timedOut(String)
    case closedEarly(String)
    case malformed(String)
    case io(Int32)

    var description: String {
        switch self {
        case .connectFailed(let e): return "connect failed: \(String(cString: strerror(e)))"
        case .timedOut(let what): return "timed out waiting for \(what)"
        case .closedEarly(let what): return "connection closed while reading \(what)"
        case .malformed(let what): return "malformed response: \(what)"
        case .io(let e): return "I/O error: \(String(cString: strerror(e)))"
        }
    }
}

/// One parsed HTTP/1.1 response.
struct RawResponse: Sendable {
    var status: Int
    var reason: String
    /// Header lines in order, names as sent.
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    /// Body bytes received (equals `body.count` unless the body was only counted).
    var bodyLength: Int
    var chunked: Bool

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    func headerValues(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// `Connection: close` present (token match).
    var closesConnection: Bool {
        headerValues("connection").contains { value in
            value.split(separator: ",").contains { $0.trimmingSpace().lowercased() == "close" }
        }
    }
}

extension Substring {
    func trimmingSpace() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}

/// A blocking POSIX TCP client for exact-byte HTTP/1.1 tests: sends what it is told (malformed or pipelined)
/// and parses responses one at a time with a deadline. Not thread-safe; use one per thread.
final class RawClient {
    enum BodyMode { case collect, count }

    private(set) var fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private(set) var sawEOF = false

    init(port: Int, host: String = "127.0.0.1") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawClientError.io(errno) }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result != 0 {
            let error = errno
            Glibc.close(fd)
            fd = -1
            throw RawClientError.connectFailed(error)
        }
    }

    deinit { close() }

    func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    /// Half-closes the write side (the server sees end of input).
    /// Closes with RST (SO_LINGER 0), as a client that aborts does: the gateway sees the connection fail.
    func abort() {
        guard fd >= 0 else { return }
        var option = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        close()
    }

    func shutdownWrite() { _ = shutdown(fd, Int32(SHUT_WR)) }

    // MARK: sending

    func send(_ text: String, timeout: Duration = .seconds(10)) throws { try send(Array(text.utf8), timeout: timeout) }

    func send(_ bytes: [UInt8], timeout: Duration = .seconds(10)) throws {
        try bytes.withUnsafeBytes { try send(raw: $0, timeout: timeout) }
    }

    func send(raw: UnsafeRawBufferPointer, timeout: Duration = .seconds(10)) throws {
        let deadline = ContinuousClock.now + timeout
        var offset = 0
        while offset < raw.count {
            try waitFor(events: Int16(POLLOUT), until: deadline, what: "the socket to be writable")
            let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw RawClientError.io(errno)
            }
            offset += n
        }
    }

    // MARK: receiving

    /// Reads one response. `headRequest` means no body follows whatever the headers say (HEAD, 1xx, 204, 304).
    func readResponse(timeout: Duration = .seconds(10), headRequest: Bool = false,
                      bodyMode: BodyMode = .collect) throws -> RawResponse {
        let deadline = ContinuousClock.now + timeout
        let headEnd = try readUntil([13, 10, 13, 10], deadline: deadline, what: "response head")
        let headText = String(decoding: buffer[start..<headEnd], as: UTF8.self)
        start = headEnd + 4
        var lines = headText.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw RawClientError.malformed("status line \(statusLine.debugDescription)")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw RawClientError.malformed("header \(line.debugDescription)") }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...].trimmingSpace())))
        }
        var response = RawResponse(status: status, reason: parts.count > 2 ? String(parts[2]) : "", headers: headers,
                                   body: [], bodyLength: 0, chunked: false)
        if headRequest || (100..<200).contains(status) || status == 204 || status == 304 { return response }
        if let te = response.header("transfer-encoding"), te.lowercased().contains("chunked") {
            response.chunked = true
            while true {
                let lineEnd = try readUntil([13, 10], deadline: deadline, what: "chunk size")
                let sizeText = String(decoding: buffer[start..<lineEnd], as: UTF8.self)
                start = lineEnd + 2
                guard let size = Int(Substring(sizeText.split(separator: ";", omittingEmptySubsequences: false)[0]).trimmingSpace(), radix: 16) else {
                    throw RawClientError.malformed("chunk size \(sizeText.debugDescription)")
                }
                if size == 0 {
                    // Trailers (none expected) end with an empty line.
                    while true {
                        let end = try readUntil([13, 10], deadline: deadline, what: "trailers")
                        let empty = end == start
                        start = end + 2
                        if empty { break }
                    }
                    break
                }
                try readBody(size, into: &response, mode: bodyMode, deadline: deadline)
                _ = try readUntil([13, 10], deadline: deadline, what: "chunk end")
                start += 2
            }
        } else if let lengthText = response.header("content-length") {
            guard let length = Int(lengthText) else { throw RawClientError.malformed("content-length \(lengthText)") }
            try readBody(length, into: &response, mode: bodyMode, deadline: deadline)
        } else {
            // Close-delimited.
            while try fill(deadline: deadline, what: "close-delimited body") {}
            take(available, into: &response, mode: bodyMode)
        }
        compact()
        return response
    }

    /// Reads `count` pipelined responses in order.
    func readResponses(_ count: Int, timeout: Duration = .seconds(10)) throws -> [RawResponse] {
        try (0..<count).map { _ in try readResponse(timeout: timeout) }
    }

    /// Waits until the peer closes (EOF or reset) without sending more; false if it is still open at the deadline
    /// or sends bytes that were not expected.
    func waitForClose(timeout: Duration = .seconds(5)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        if available > 0 { return false }
        while !sawEOF {
            do {
                if try !fill(deadline: deadline, what: "close") { return true }
            } catch RawClientError.io {
                return true  // reset
            } catch {
                return false
            }
            if available > 0 { return false }
        }
        return true
    }

    /// True if the connection is still open and idle after `duration` (no bytes, no EOF).
    func staysOpen(for duration: Duration) -> Bool {
        let deadline = ContinuousClock.now + duration
        do {
            _ = try fill(deadline: deadline, what: "nothing")
            return false
        } catch RawClientError.timedOut {
            return true
        } catch {
            return false
        }
    }

    var available: Int { buffer.count - start }

    // MARK: internals

    private func readBody(_ length: Int, into response: inout RawResponse, mode: BodyMode, deadline: ContinuousClock.Instant) throws {
        var remaining = length
        while remaining > 0 {
            if available == 0 {
                compact()
                guard try fill(deadline: deadline, what: "body (\(remaining) of \(length) bytes left)") else {
                    throw RawClientError.closedEarly("body: \(length - remaining) of \(length) bytes")
                }
            }
            let n = min(remaining, available)
            take(n, into: &response, mode: mode)
            remaining -= n
        }
    }

    private func take(_ n: Int, into response: inout RawResponse, mode: BodyMode) {
        if mode == .collect { response.body.append(contentsOf: buffer[start..<start + n]) }
        response.bodyLength += n
        start += n
    }

    private func compact() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            start = 0
        } else if start > 64 * 1024 {
            buffer.removeFirst(start)
            start = 0
        }
    }

    /// Index (into `buffer`) where `delimiter` starts, reading more as needed.
    private func readUntil(_ delimiter: [UInt8], deadline: ContinuousClock.Instant, what: String) throws -> Int {
        var searchFrom = start
        while true {
            if buffer.count - searchFrom >= delimiter.count {
                var i = searchFrom
                while i + delimiter.count <= buffer.count {
                    if buffer[i] == delimiter[0] && Array(buffer[i..<i + delimiter.count]) == delimiter { return i }
                    i += 1
                }
                searchFrom = max(start, buffer.count - delimiter.count + 1)
            }
            guard try fill(deadline: deadline, what: what) else { throw RawClientError.closedEarly(what) }
        }
    }

    /// Reads whatever is available (waiting until the deadline); false at EOF.
    @discardableResult
    private func fill(deadline: ContinuousClock.Instant, what: String) throws -> Bool {
        if sawEOF { return false }
        try waitFor(events: Int16(POLLIN), until: deadline, what: what)
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 {
            if errno == EINTR || errno == EAGAIN { return true }
            throw RawClientError.io(errno)
        }
        if n == 0 {
            sawEOF = true
            return false
        }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    private func waitFor(events: Int16, until deadline: ContinuousClock.Instant, what: String) throws {
        while true {
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { throw RawClientError.timedOut(what) }
            let ms = max(1, Int32(min(remaining / .milliseconds(1), 60_000)))
            var pfd = pollfd(fd: fd, events: events, revents: 0)
            let r = poll(&pfd, 1, ms)
            if r < 0 {
                if errno == EINTR { continue }
                throw RawClientError.io(errno)
            }
            if r > 0 { return }
        }
    }
}

/// Runs blocking work on its own thread so the Swift concurrency pool (which the gateway's admin reload
/// also uses) is never starved by a test waiting on a socket.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
        let thread = ThreadStarter { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}

/// A detached pthread running one closure.
final class ThreadStarter: @unchecked Sendable {
    private let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }

    func start() {
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let starter = Unmanaged<ThreadStarter>.fromOpaque(raw!).takeRetainedValue()
            starter.body()
            return nil
        }, box.toOpaque())
        precondition(rc == 0, "pthread_create failed")
        pthread_detach(thread)
    }
}

/// Polls `condition` until it holds or the deadline passes (tests never sleep to wait).
func eventually(timeout: Duration = .seconds(5), interval: Duration = .milliseconds(10),
                _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: interval)
    }
}

/// Convenience: one request on a fresh connection.
func exchange(port: Int, _ request: String, timeout: Duration = .seconds(10), headRequest: Bool = false) throws -> RawResponse {
    let client = try RawClient(port: port)
    try client.send(request)
    return try client.readResponse(timeout: timeout, headRequest: headRequest)
}

/// A minimal GET request with Host.
func get(_ path: String, host: String = "gateway.test", headers: [String] = []) -> String {
    "GET \(path) HTTP/1.1\r\nHost: \(host)\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n"
}
