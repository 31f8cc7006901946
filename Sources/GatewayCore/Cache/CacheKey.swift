import NIOHTTP1

/// What names a cached response (contract: host, API, route, path and the sorted query; narrowed by
/// `keyParameters`; plus the API key with `perApiKey`). Fields are length-prefixed, so no value can be crafted
/// to look like two others ("a" + "b|c" never equals "a|b" + "c").
public struct CacheKey: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The primary key of a request. `host` is matched without case and without its port; query pairs are sorted
    /// by name and then value, as sent (still percent-encoded), so parameter order never splits an entry.
    public static func make(host: Substring?, api: String, route: String, path: Substring, query: Substring?,
                            headers: HTTPHeaders, policy: RouteCachePolicy,
                            apiKeyName: String?) -> CacheKey {
        var out: [UInt8] = []
        out.reserveCapacity(64 + path.utf8.count + (query?.utf8.count ?? 0))
        var hostName = host ?? ""
        if hostName.first == "[" {
            if let close = hostName.firstIndex(of: "]") { hostName = hostName[...close] }
        } else if let colon = hostName.lastIndex(of: ":") {
            hostName = hostName[..<colon]
        }
        field(hostName.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, &out)
        field(api.utf8, &out)
        field(route.utf8, &out)
        let pairs = query.map(Self.pairs) ?? []
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

    /// Bytes the key holds in the store's accounting.
    public var size: Int { bytes.count }

    public var description: String { String(decoding: bytes.map { $0 < 32 ? UInt8(ascii: "|") : $0 }, as: UTF8.self) }

    private static func field(_ value: some Collection<UInt8>, _ out: inout [UInt8]) {
        var length = value.count
        // Length as a base-128 varint, then the bytes.
        repeat {
            out.append(UInt8(length & 0x7F) | (length >= 0x80 ? 0x80 : 0))
            length >>= 7
        } while length > 0
        out.append(contentsOf: value)
    }

    static func pairs(_ query: Substring) -> [(name: Substring, value: Substring)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let equals = pair.firstIndex(of: "=") {
                return (pair[..<equals], pair[pair.index(after: equals)...])
            }
            return (pair, "")
        }
    }

    static func pairOrder(_ a: (name: Substring, value: Substring), _ b: (name: Substring, value: Substring)) -> Bool {
        a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
            || (a.name.utf8.elementsEqual(b.name.utf8) && a.value.utf8.lexicographicallyPrecedes(b.value.utf8))
    }
}
