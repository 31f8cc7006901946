/// Where a Redis server is and how to log in: `redis://[[user]:password@]host[:port][/db]`, the form
/// `state.url` takes. Only plain TCP (`rediss://` is refused, not silently downgraded).
public struct RedisURL: Equatable, Sendable {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int

    public init(host: String, port: Int = 6379, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses `text`, or says what is wrong with it.
    public static func parse(_ text: String) -> Result<RedisURL, RedisURLError> {
        guard text.hasPrefix("redis://") else {
            return .failure(RedisURLError(text.hasPrefix("rediss://") ? "TLS to Redis (rediss://) is not supported"
                                                                        : "must start with redis://"))
        }
        var rest = Substring(text.dropFirst("redis://".count))
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let number = Int(path), (0...15_999).contains(number) else {
                    return .failure(RedisURLError("database must be a number (0 or more), not \"\(path)\""))
                }
                database = number
            }
        }
        var username: String?, password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = credentials[..<colon]
                username = user.isEmpty ? nil : String(user)
                password = String(credentials[credentials.index(after: colon)...])
            } else {
                password = String(credentials)
            }
            guard let decodedUser = percentDecoded(username), let decodedPassword = percentDecoded(password) else {
                return .failure(RedisURLError("credentials hold an invalid %-escape"))
            }
            username = decodedUser
            password = decodedPassword
        }
        var host = rest
        var port = 6379
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return .failure(RedisURLError("unclosed [ in the host")) }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !after.isEmpty {
                guard after.first == ":", let number = Int(after.dropFirst()) else {
                    return .failure(RedisURLError("invalid port \"\(after.dropFirst())\""))
                }
                port = number
            }
        } else if let colon = host.lastIndex(of: ":") {
            guard let number = Int(host[host.index(after: colon)...]) else {
                return .failure(RedisURLError("invalid port \"\(host[host.index(after: colon)...])\""))
            }
            port = number
            host = host[..<colon]
        }
        guard !host.isEmpty else { return .failure(RedisURLError("missing host")) }
        guard (1...65535).contains(port) else { return .failure(RedisURLError("port \(port) outside 1...65535")) }
        return .success(RedisURL(host: String(host), port: port, username: username, password: password,
                                 database: database))
    }

    private static func percentDecoded(_ text: String?) -> String?? {
        guard let text else { return .some(nil) }
        var bytes: [UInt8] = []
        var utf8 = text.utf8.makeIterator()
        while let byte = utf8.next() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = utf8.next().flatMap(hexValue), let low = utf8.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return .some(String(decoding: bytes, as: UTF8.self))
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: return byte - 48
        case 65...70: return byte - 55
        case 97...102: return byte - 87
        default: return nil
        }
    }
}

public struct RedisURLError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
