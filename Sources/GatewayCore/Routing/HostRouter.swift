/// A base path and the API served under it; `basePath` is normalised ("/" or "/a/b").
public struct BasePathMapping: Sendable, Equatable {
    public let basePath: String
    public let api: Int
    public init(basePath: String, api: Int) {
        self.basePath = basePath
        self.api = api
    }
}

/// A configured domain; `name` is lowercased, exact or "*.suffix".
public struct DomainRoute: Sendable, Equatable {
    public let name: String
    public let mappings: [BasePathMapping]
    public init(name: String, mappings: [BasePathMapping]) {
        self.name = name
        self.mappings = mappings
    }
}

/// Which APIs serve a request and what path their route tables should see.
public struct HostResolution: Sendable, Equatable {
    /// All APIs mapped at the winning base path, in config order.
    public let apis: [Int]
    public let basePath: String
    /// The path with the base path removed, a slice of the request path; "" means "/".
    public let remainingPath: Substring
    public init(apis: [Int], basePath: String, remainingPath: Substring) {
        self.apis = apis
        self.basePath = basePath
        self.remainingPath = remainingPath
    }
}

/// Picks the API(s) for a Host + path: a matching domain's mappings decide, otherwise the default endpoint.
///
/// Domains are found by hash lookups on raw bytes (exact name, then the host minus its first label for `*.suffix`),
/// base paths by a segment trie, so cost tracks the path depth rather than the number of domains or APIs, and a
/// lowercase host (what clients send) is never copied.
public struct HostRouter: Sendable {
    struct Entry: Sendable {
        let basePath: String
        var apis: [Int]
    }

    /// A base-path trie: node 0 is "/"; `entryAt[node]` >= 0 marks a configured base path ending there.
    struct MappingTable: Sendable {
        var children = SegmentMap()
        var entryAt: [Int32] = [-1]
        var entries: [Entry] = []

        init(_ mappings: [BasePathMapping]) {
            for m in mappings {
                var n: Int32 = 0
                for seg in m.basePath.split(separator: "/") {
                    let c = children.lookup(parent: n, seg)
                    if c >= 0 {
                        n = c
                    } else {
                        entryAt.append(-1)
                        let new = Int32(entryAt.count - 1)
                        children.insert(parent: n, seg, child: new)
                        n = new
                    }
                }
                if entryAt[Int(n)] >= 0 {
                    entries[Int(entryAt[Int(n)])].apis.append(m.api)
                } else {
                    entryAt[Int(n)] = Int32(entries.count)
                    entries.append(Entry(basePath: m.basePath, apis: [m.api]))
                }
            }
        }

        /// Longest whole-segment base-path prefix; empty segments in the request path are skipped as in routing.
        func resolve(_ path: Substring) -> HostResolution? {
            let (best, bestEnd) = PathScan.withBytes(path) { bytes -> (Int32, Int) in
                var n: Int32 = 0
                var best = entryAt[0]
                var bestEnd = 0
                var from = 0
                while children.count > 0, let seg = PathScan.nextSegment(bytes, from: from) {
                    let c = children.lookup(parent: n, UnsafeBufferPointer(rebasing: bytes[seg]))
                    if c < 0 { break }
                    n = c
                    from = seg.upperBound
                    if entryAt[Int(n)] >= 0 {
                        best = entryAt[Int(n)]
                        bestEnd = seg.upperBound
                    }
                }
                return (best, bestEnd)
            }
            guard best >= 0 else { return nil }
            let e = entries[Int(best)]
            let remaining = bestEnd == 0 ? path : PathScan.slice(path, bestEnd..<path.utf8.count)
            return HostResolution(apis: e.apis, basePath: e.basePath, remainingPath: remaining)
        }
    }

    static let exactParent: Int32 = 0
    static let wildcardParent: Int32 = 1

    /// (exactParent, name) or (wildcardParent, suffix after "*.") -> index into `tables`.
    let domains: SegmentMap
    let tables: [MappingTable]
    let defaultEndpoint: MappingTable?

    public init(domains: [DomainRoute], defaultEndpoint: [BasePathMapping]?) {
        var map = SegmentMap()
        var tables: [MappingTable] = []
        for d in domains {
            // Names should arrive lowercased; lowercase again so a caller slip cannot make a domain unreachable.
            let name = d.name.lowercased()
            let (parent, key) = name.hasPrefix("*.") ? (HostRouter.wildcardParent, Substring(name.dropFirst(2)))
                                                     : (HostRouter.exactParent, Substring(name))
            if map.lookup(parent: parent, key) >= 0 { continue }  // first one wins; config rejects duplicates
            map.insert(parent: parent, key, child: Int32(tables.count))
            tables.append(MappingTable(d.mappings))
        }
        self.domains = map
        self.tables = tables
        self.defaultEndpoint = defaultEndpoint.map(MappingTable.init)
    }

    /// Resolves a request; `host` is the raw Host/:authority value (nil when absent), `path` excludes the query.
    public func resolve(host: Substring?, path: Substring) -> HostResolution? {
        if let host, domains.count > 0 {
            let table = PathScan.withBytes(host) { bytes -> Int32 in
                let name = UnsafeBufferPointer(rebasing: bytes[HostRouter.hostNameRange(bytes)])
                if name.isEmpty { return -1 }
                if !name.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) { return domainTable(name) }
                // Rare: clients send lowercase hosts. Lowercase into scratch space instead of allocating.
                return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: name.count) { scratch in
                    for (i, b) in name.enumerated() { scratch[i] = b >= 0x41 && b <= 0x5A ? b | 0x20 : b }
                    return domainTable(UnsafeBufferPointer(scratch))
                }
            }
            if table >= 0 { return tables[Int(table)].resolve(path) }
        }
        return defaultEndpoint?.resolve(path)
    }

    private func domainTable(_ name: UnsafeBufferPointer<UInt8>) -> Int32 {
        let t = domains.lookup(parent: HostRouter.exactParent, name)
        if t >= 0 { return t }
        guard let dot = name.firstIndex(of: UInt8(ascii: ".")), dot > 0 else { return -1 }
        return domains.lookup(parent: HostRouter.wildcardParent, UnsafeBufferPointer(rebasing: name[(dot + 1)...]))
    }

    /// Strips the port ("host:8080", "[::1]:8080") and one trailing dot of a fully qualified name.
    static func hostNameRange(_ host: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        var end = host.count
        if host.first == UInt8(ascii: "[") {
            if let close = host.firstIndex(of: UInt8(ascii: "]")) { end = close + 1 }
        } else if let colon = host.firstIndex(of: UInt8(ascii: ":")) {
            end = colon
        }
        if end > 0, host[end - 1] == UInt8(ascii: ".") { end -= 1 }
        return 0..<end
    }

    /// `hostNameRange` on a string (tests and diagnostics).
    static func hostName(_ host: Substring) -> Substring {
        let range = PathScan.withBytes(host) { hostNameRange($0) }
        return PathScan.slice(host, range)
    }
}
