import Foundation

/// Writes access-log lines on a dedicated thread so a slow disk or pipe never blocks an event loop.
///
/// Lines are appended to a bounded in-memory buffer under a lock; past the bound lines are dropped and
/// counted (a metric), because stalling request handling for logging would be worse.
public final class AccessLogWriter: Sendable {
    private struct State {
        var buffer: [UInt8] = []
        var stopping = false
        var dropped = 0
    }

    private let condition = NSCondition()
    // NSCondition guards `state`; all access happens between condition.lock() and unlock().
    nonisolated(unsafe) private var state = State()
    private let fd: Int32
    private let ownsDescriptor: Bool
    private let maxBuffered: Int
    private let onDrop: @Sendable (Int) -> Void
    nonisolated(unsafe) private var thread: Thread?

    /// `path` is "-" for stdout or an absolute file path (created, appended to).
    public init(path: String, maxBuffered: Int = 8 << 20, onDrop: @escaping @Sendable (Int) -> Void = { _ in }) throws {
        if path == "-" {
            fd = 1
            ownsDescriptor = false
        } else {
            let opened = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard opened >= 0 else {
                throw AccessLogError(message: "cannot open access log \(path): \(String(cString: strerror(errno)))")
            }
            fd = opened
            ownsDescriptor = true
        }
        self.maxBuffered = maxBuffered
        self.onDrop = onDrop
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "portcullis-access-log"
        self.thread = thread
        thread.start()
    }

    func append(_ line: [UInt8]) {
        condition.lock()
        if state.buffer.count + line.count > maxBuffered {
            state.dropped += 1
            condition.unlock()
            onDrop(1)
            return
        }
        let wasEmpty = state.buffer.isEmpty
        state.buffer.append(contentsOf: line)
        if wasEmpty { condition.signal() }
        condition.unlock()
    }

    /// Writes everything buffered, then stops the thread.
    public func close() {
        condition.lock()
        state.stopping = true
        condition.signal()
        condition.unlock()
        while true {
            condition.lock()
            let done = thread == nil
            condition.unlock()
            if done { break }
            usleep(1000)
        }
        if ownsDescriptor { _ = Foundation.close(fd) }
    }

    private func run() {
        var chunk: [UInt8] = []
        while true {
            condition.lock()
            while state.buffer.isEmpty && !state.stopping { condition.wait() }
            swap(&chunk, &state.buffer)
            let stopping = state.stopping
            condition.unlock()
            writeAll(chunk)
            chunk.removeAll(keepingCapacity: true)
            if stopping {
                condition.lock()
                let rest = state.buffer
                state.buffer = []
                condition.unlock()
                writeAll(rest)
                condition.lock()
                thread = nil
                condition.unlock()
                return
            }
        }
    }

    private func writeAll(_ bytes: [UInt8]) {
        var offset = 0
        bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }
}

struct AccessLogError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
