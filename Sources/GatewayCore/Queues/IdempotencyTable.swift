import Crypto

/// The idempotency keys a gateway has answered, each with the message id of its first request, for `ttl`: a repeat
/// within it gets that id and enqueues nothing. Keys expire in the order they were stored (one ttl for all), so the
/// oldest are dropped first, and at most `capacity` are kept (past it, the oldest go early: memory stays bounded).
public struct IdempotencyTable: Sendable {
    public static let defaultTTL: Int64 = 24 * 3600 * 1_000_000_000
    public static let defaultCapacity = 1_000_000

    public let ttl: Int64
    public let capacity: Int
    private var entries: [String: (messageId: String, expiresAt: Int64)] = [:]
    /// Keys in the order they were stored; `head` is the oldest still listed.
    private var order: [String] = []
    private var head = 0

    public init(ttl: Int64 = Self.defaultTTL, capacity: Int = Self.defaultCapacity) {
        self.ttl = ttl
        self.capacity = max(1, capacity)
    }

    public var count: Int { entries.count }

    /// The first request's message id when `key` was answered within the ttl.
    public mutating func lookup(_ key: String, now: Int64) -> String? {
        expire(now: now)
        return entries[key]?.messageId
    }

    /// Remembers `key` (until `expiresAt`, `now + ttl` for a new answer; a restored one keeps its own).
    public mutating func store(_ key: String, messageId: String, expiresAt: Int64) {
        if entries.updateValue((messageId, expiresAt), forKey: key) == nil { order.append(key) }
        while entries.count > capacity, head < order.count {
            entries[order[head]] = nil
            head += 1
        }
        compact()
    }

    private mutating func expire(now: Int64) {
        while head < order.count {
            let key = order[head]
            guard let entry = entries[key] else { head += 1; continue }
            guard entry.expiresAt <= now else { break }
            entries[key] = nil
            head += 1
        }
        compact()
    }

    private mutating func compact() {
        if head > 1024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}

/// A request's idempotency key as the table stores it: a SHA-256 of its API, route and header value, so every key
/// is 64 bytes however long the client's value (and one route's keys never answer another's).
public enum IdempotencyKey {
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case repeated(header: String)

        public var description: String {
            switch self {
            case .repeated(let header): "the \(header) header appears more than once"
            }
        }
    }

    /// nil when the request has no such header (then the request is not idempotent: it is enqueued).
    public static func of(_ request: borrowing RequestContext, header: String, api: String) -> Result<String?, Refusal> {
        let values = request.head.headers[header]
        guard !values.isEmpty else { return .success(nil) }
        guard values.count == 1 else { return .failure(.repeated(header: header)) }
        // An empty value names nothing: such requests are not idempotent (they would all share one answer).
        guard !values[0].isEmpty else { return .success(nil) }
        let route = request.route?.keyText ?? ""
        var hasher = SHA256()
        hasher.update(data: Array(api.utf8) + [0] + Array(route.utf8) + [0] + Array(values[0].utf8))
        return .success(ASCIIHex.lowercase(hasher.finalize()))
    }
}
