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
/// Domains are found by hash lookups (exact name, then the host minus its first label for `*.suffix`), and
/// base paths by a segment trie, so cost tracks the path depth rather than the number of domains or APIs.
public struct HostRouter: Sendable {
    /// A base-path trie; `entry` >= 0 marks a configured base path ending at the node.
    struct BaseNode: Sendable {
        var children: [ByteKey: Int32] = [:]
        var entry: Int32 = -1
    }

    struct Entry: Sendable {
        let basePath: String
        var apis: [Int]
    }

    struct MappingTable: Sendable {
        var nodes = [BaseNode()]
        var entries: [Entry] = []

        init(_ mappings: [BasePathMapping]) {
            for m in mappings {
                var n = 0
                for seg in m.basePath.utf8.split(separator: PathScan.slash) {
                    let key = ByteKey(Substring(m.basePath)[seg.startIndex..<seg.endIndex])
                    if let c = nodes[n].children[key] {
                        n = Int(c)
                    } else {
                        nodes.append(BaseNode())
                        nodes[n].children[key] = Int32(nodes.count - 1)
                        n = nodes.count - 1
                    }
                }
                if nodes[n].entry >= 0 {
                    entries[Int(nodes[n].entry)].apis.append(m.api)
                } else {
                    nodes[n].entry = Int32(entries.count)
                    entries.append(Entry(basePath: m.basePath, apis: [m.api]))
                }
            }
        }

        /// Longest whole-segment base-path prefix; empty segments in the request path are skipped like in routing.
        func resolve(_ path: Substring) -> HostResolution? {
            var n = 0
            var best = nodes[0].entry
            var bestEnd = path.startIndex
            var from = path.startIndex
            while let seg = PathScan.nextSegment(path, from: from), let c = nodes[n].children[ByteKey(path[seg])] {
                n = Int(c)
                from = seg.upperBound
                if nodes[n].entry >= 0 {
                    best = nodes[n].entry
                    bestEnd = seg.upperBound
                }
            }
            guard best >= 0 else { return nil }
            let e = entries[Int(best)]
            return HostResolution(apis: e.apis, basePath: e.basePath, remainingPath: path[bestEnd...])
        }
    }

    let exact: [ByteKey: MappingTable]
    /// Keyed by the suffix after "*.".
    let wildcard: [ByteKey: MappingTable]
    let defaultEndpoint: MappingTable?

    public init(domains: [DomainRoute], defaultEndpoint: [BasePathMapping]?) {
        var exact: [ByteKey: MappingTable] = [:]
        var wildcard: [ByteKey: MappingTable] = [:]
        for d in domains {
            // Names should arrive lowercased; lowercase again so a caller slip cannot make a domain unreachable.
            let name = d.name.lowercased()
            if name.hasPrefix("*.") {
                let key = ByteKey(String(name.dropFirst(2)))
                if wildcard[key] == nil { wildcard[key] = MappingTable(d.mappings) }
            } else {
                let key = ByteKey(name)
                if exact[key] == nil { exact[key] = MappingTable(d.mappings) }
            }
        }
        self.exact = exact
        self.wildcard = wildcard
        self.defaultEndpoint = defaultEndpoint.map(MappingTable.init)
    }

    /// Resolves a request; `host` is the raw Host/:authority value (nil when absent), `path` excludes the query.
    public func resolve(host: Substring?, path: Substring) -> HostResolution? {
        if let host, !exact.isEmpty || !wildcard.isEmpty, let table = domainTable(HostRouter.hostName(host)) {
            return table.resolve(path)
        }
        return defaultEndpoint?.resolve(path)
    }

    private func domainTable(_ name: Substring) -> MappingTable? {
        if name.isEmpty { return nil }
        if name.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) {
            return domainTableLowercase(Substring(name.lowercased()))  // rare: clients send lowercase hosts
        }
        return domainTableLowercase(name)
    }

    private func domainTableLowercase(_ name: Substring) -> MappingTable? {
        if let t = exact[ByteKey(name)] { return t }
        guard !wildcard.isEmpty, let dot = name.utf8.firstIndex(of: UInt8(ascii: ".")), dot != name.startIndex else {
            return nil
        }
        return wildcard[ByteKey(name[name.utf8.index(after: dot)...])]
    }

    /// Strips the port ("host:8080", "[::1]:8080") and one trailing dot of a fully qualified name.
    static func hostName(_ host: Substring) -> Substring {
        var name = host
        if name.utf8.first == UInt8(ascii: "[") {
            if let close = name.utf8.firstIndex(of: UInt8(ascii: "]")) { name = name[...close] }
        } else if let colon = name.utf8.firstIndex(of: UInt8(ascii: ":")) {
            name = name[..<colon]
        }
        if name.utf8.last == UInt8(ascii: ".") { name = name.dropLast() }
        return name
    }
}
