import GatewayCore
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// swift-log records as JSON lines on stderr (`{"time","level","label","message", metadata...}`): what function
/// output becomes, so log shippers can pick out a function's lines by `function` and `requestId`; the whole
/// gateway logs this way with `PORTCULLIS_LOG_FORMAT=json`.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    /// One write per line, whole lines only, from any thread.
    private static let output = Mutex(())

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
                    file: String, function: String, line: UInt) {
        var merged = metadata
        if let explicit { merged.merge(explicit) { $1 } }
        let bytes = Self.line(epochMilliseconds: WallClock.epochMilliseconds(), level: level, label: label, message: message.description,
                              metadata: merged)
        Self.output.withLock { _ in
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = write(2, raw.baseAddress! + offset, raw.count - offset)
                    if written <= 0 { break }
                    offset += written
                }
            }
        }
    }

    /// One record as a JSON line; metadata keys sorted, values as strings (nested values as their description).
    static func line(epochMilliseconds: Int64, level: Logger.Level, label: String, message: String,
                     metadata: Logger.Metadata) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + message.utf8.count)
        out.append(contentsOf: #"{"time":""#.utf8)
        RFC3339.append(epochMilliseconds: epochMilliseconds, to: &out)
        out.append(contentsOf: #"","level":""#.utf8)
        out.append(contentsOf: level.rawValue.utf8)
        out.append(contentsOf: #"","label":"#.utf8)
        JSONEscaping.appendQuoted(label, to: &out)
        out.append(contentsOf: #","message":"#.utf8)
        JSONEscaping.appendQuoted(message, to: &out)
        for key in metadata.keys.sorted() where !["time", "level", "label", "message"].contains(key) {
            out.append(UInt8(ascii: ","))
            JSONEscaping.appendQuoted(key, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONEscaping.appendQuoted(metadata[key]!.description, to: &out)
        }
        out.append(contentsOf: "}\n".utf8)
        return out
    }
}
