import NIOHTTP1
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What names a cached response (contract: host, API, route, path and the sorted query; narrowed by
/// `keyParameters`; plus the API key with `perApiKey`). Fields are length-prefixed, so no value can be crafted
/// to look like two others ("a" + "b|c" never equals "a|b" + "c").
public struct CacheKey: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]
    /// FNV-1a over the bytes, computed once: the store hashes a key on every lookup, and hashing the array feeds
    /// the hasher one byte at a time.
    private let digest: UInt64

    init(bytes: [UInt8]) {
        self.bytes = bytes
        digest = bytes.withUnsafeBufferPointer { buffer in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in buffer { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
            return hash
        }
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(digest) }

    /// Digests first; the bytes by `memcmp` (an array's `==` compares element by element).
    public static func == (a: CacheKey, b: CacheKey) -> Bool {
        guard a.digest == b.digest, a.bytes.count == b.bytes.count else { return false }
        return a.bytes.withUnsafeBytes { x in b.bytes.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 } }
    }

    /// The primary key of a request. `host` is matched without case and without its port; query pairs are sorted
    /// by name and then value, as sent (still percent-encoded), so parameter order never splits an entry.
    public static func make(host: Substring?, api: String, route: String, path: Substring, query: Substring?,
                            headers: HTTPHeaders, policy: RouteCachePolicy,
                            apiKeyName: String?) -> CacheKey {
        make(host: host, routePrefix: routePrefix(api: api, route: route), path: path, query: query, headers: headers,
             policy: policy, apiKeyName: apiKeyName)
    }

    /// The API and route fields, length-prefixed: the same for every request of a route, so built once per config.
    public static func routePrefix(api: String, route: String) -> [UInt8] {
        var out: [UInt8] = []
        field(api.utf8, &out)
        field(route.utf8, &out)
        return out
    }

    public static func make(host: Substring?, routePrefix: [UInt8], path: Substring, query: Substring?,
                            headers: HTTPHeaders, policy: RouteCachePolicy, apiKeyName: String?) -> CacheKey {
        var out: [UInt8] = []
        out.reserveCapacity(32 + routePrefix.count + path.utf8.count + (query?.utf8.count ?? 0))
        appendHost(host ?? "", &out)
        out.append(contentsOf: routePrefix)
        let pairs = query.map(QueryParameters.split) ?? []
        if policy.keyParameters.isEmpty {
            field(path.utf8, &out)
            for pair in pairs.sorted(by: Self.pairOrder) {
                field(pair.name.utf8, &out)
                field(pair.value.utf8, &out)
            }
        } else {
            for parameter in policy.keyParameters {
                switch parameter {
                case .query(let name):
                    out.append(UInt8(ascii: "q"))
                    field(name.utf8, &out)
                    for pair in pairs.filter({ $0.name == name }).sorted(by: Self.pairOrder) { field(pair.value.utf8, &out) }
                case .header(let name):
                    out.append(UInt8(ascii: "h"))
                    field(name.utf8, &out)
                    for (headerName, value) in headers where ASCIIBytes.equalIgnoringCase(headerName.utf8, name.utf8) {
                        field(value.utf8, &out)
                    }
                }
                out.append(UInt8(ascii: ";"))
            }
        }
        if policy.perApiKey {
            out.append(UInt8(ascii: "k"))
            field((apiKeyName ?? "").utf8, &out)
        }
        return CacheKey(bytes: out)
    }

    /// The key of one variant: the primary key plus the request's values of the response's `Vary` headers.
    public func variant(varying names: [String], headers: HTTPHeaders) -> CacheKey {
        guard !names.isEmpty else { return self }
        var out = bytes
        out.append(UInt8(ascii: "v"))
        for name in names {
            Self.field(name.utf8, &out)
            for (headerName, value) in headers where ASCIIBytes.equalIgnoringCase(headerName.utf8, name.utf8) {
                Self.field(value.utf8, &out)
            }
            out.append(UInt8(ascii: ";"))
        }
        return CacheKey(bytes: out)
    }

    /// The host field: without its port, lower-cased, scanned as contiguous bytes (walking a substring's UTF-8
    /// view index by index showed up in the hit path's profile).
    private static func appendHost(_ host: Substring, _ out: inout [UInt8]) {
        var host = host
        host.withUTF8 { bytes in
            var end = bytes.count
            if bytes.first == UInt8(ascii: "[") {
                if let close = bytes.firstIndex(of: UInt8(ascii: "]")) { end = close + 1 }
            } else if let colon = bytes.lastIndex(of: UInt8(ascii: ":")) {
                end = colon
            }
            let name = UnsafeBufferPointer(rebasing: bytes[..<end])
            writeLength(name.count, &out)
            if name.contains(where: { $0 >= 65 && $0 <= 90 }) {
                for byte in name { out.append(byte >= 65 && byte <= 90 ? byte + 32 : byte) }
            } else {
                out.append(contentsOf: name)
            }
        }
    }

    /// Bytes the key holds in the store's accounting.
    public var size: Int { bytes.count }

    public var description: String { String(decoding: bytes.map { $0 < 32 ? UInt8(ascii: "|") : $0 }, as: UTF8.self) }

    /// A length and the bytes, copied in one piece where they are contiguous (a native string's are).
    private static func field(_ value: some Collection<UInt8>, _ out: inout [UInt8]) {
        writeLength(value.count, &out)
        if value.withContiguousStorageIfAvailable({ out.append(contentsOf: $0) }) == nil {
            out.append(contentsOf: value)
        }
    }

    /// A length as a base-128 varint.
    private static func writeLength(_ length: Int, _ out: inout [UInt8]) {
        var length = length
        repeat {
            out.append(UInt8(length & 0x7F) | (length >= 0x80 ? 0x80 : 0))
            length >>= 7
        } while length > 0
    }

    static func pairOrder(_ a: (name: Substring, value: Substring), _ b: (name: Substring, value: Substring)) -> Bool {
        a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
            || (a.name.utf8.elementsEqual(b.name.utf8) && a.value.utf8.lexicographicallyPrecedes(b.value.utf8))
    }
}
