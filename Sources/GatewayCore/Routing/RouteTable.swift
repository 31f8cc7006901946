/// Two routes that cannot coexist; `first`/`second` index the keys given to `RouteTable.init` (`first < second`).
public struct RouteConflict: Error, Equatable, Sendable {
    public let first: Int
    public let second: Int
    /// Names the earlier route, e.g. `duplicates route "GET /a/{x}"`; the caller prefixes the later route's location.
    public let message: String
    public init(first: Int, second: Int, message: String) {
        self.first = first
        self.second = second
        self.message = message
    }
}

/// One API's routes compiled into a segment trie so matching cost tracks path depth, not route count.
///
/// Precedence (contract): more literal segments, then `{name}` over `{name+}`, then the exact method over
/// GET-answering-HEAD over ANY. Because the literal count is a whole-route property, the walk explores both the
/// literal and the parameter child and prunes subtrees whose best possible route cannot beat the best found.
/// Same-precedence overlaps are rejected at init, so the winner is always unique.
public struct RouteTable: Sendable {
    /// Routes per method at one trie position: `methodCount` slots at `base` in the table-wide `slots` array
    /// (flat, so the hot path reads plain integers instead of retaining per-node arrays); -1 = none.
    struct Endpoints: Sendable {
        var base: Int32 = -1
        /// Bit per method slot present (for `Allow` without scanning).
        var mask: UInt8 = 0

        @inline(__always)
        func route(_ slot: Int, in slots: [Int32]) -> Int32 {
            mask & (1 << UInt8(slot)) == 0 ? -1 : slots[Int(base) + slot]
        }

        mutating func set(_ slot: Int, _ route: Int32, in slots: inout [Int32]) {
            if base < 0 {
                base = Int32(slots.count)
                slots.append(contentsOf: repeatElement(-1, count: methodCount))
            }
            slots[Int(base) + slot] = route
            mask |= 1 << UInt8(slot)
        }
    }

    struct Node: Sendable {
        /// Literal children (build-time enumeration); lookups by segment go through `literalMap`.
        var literalChildren: [Int32] = []
        var param: Int32 = -1
        /// Routes ending exactly here.
        var routes = Endpoints()
        /// Routes whose final `{name+}` follows this node.
        var greedy = Endpoints()
        /// Literal segments on the path from the root to this node (= literal count of routes ending here).
        var literalDepth: Int32 = 0
        /// Most literal segments of any route in this subtree; -1 when the subtree holds no route.
        var maxLiterals: Int32 = -1
        /// Build-time pruning for conflict search: method slots of the (greedy) routes in this subtree, and bit d
        /// set when a non-greedy route ends d levels below (63 = deeper). Keeps init near-linear for big APIs.
        var subtreeMethods: UInt8 = 0
        var subtreeGreedyMethods: UInt8 = 0
        var subtreeDepths: UInt64 = 0
    }

    static let methodCount = RouteKey.Method.allCases.count
    static let anySlot = slot(of: .any)
    static let getSlot = slot(of: .get)
    static let headSlot = slot(of: .head)

    static func slot(of method: RouteKey.Method) -> Int {
        switch method {
        case .get: 0
        case .post: 1
        case .put: 2
        case .patch: 3
        case .delete: 4
        case .head: 5
        case .options: 6
        case .any: 7
        }
    }

    /// Byte-compares the request method; methods outside the contract's list get -1 (only ANY routes answer them).
    @inline(__always)
    static func slot(ofRequestMethod m: Substring) -> Int {
        var u = m.utf8.makeIterator()
        switch m.utf8.count {
        case 3:
            let (a, b, c) = (u.next()!, u.next()!, u.next()!)
            if a == 0x47, b == 0x45, c == 0x54 { return 0 }  // GET
            if a == 0x50, b == 0x55, c == 0x54 { return 2 }  // PUT
        case 4:
            if m.utf8.elementsEqual("POST".utf8) { return 1 }
            if m.utf8.elementsEqual("HEAD".utf8) { return 5 }
        case 5:
            if m.utf8.elementsEqual("PATCH".utf8) { return 3 }
        case 6:
            if m.utf8.elementsEqual("DELETE".utf8) { return 4 }
        case 7:
            if m.utf8.elementsEqual("OPTIONS".utf8) { return 6 }
        default: break
        }
        return -1
    }

    /// `Allow` names by slot, in slot order; sorted on output.
    static let slotNames = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"]

    let nodes: [Node]
    /// (node, literal segment) -> child node for the whole trie.
    let literalMap: SegmentMap
    let slots: [Int32]
    let keys: [RouteKey]
    let defaultRoute: Int32

    public init(keys: [RouteKey]) throws(RouteConflict) {
        self.keys = keys
        var nodes = [Node()]
        var map = SegmentMap()
        var slots: [Int32] = []
        var defaultRoute: Int32 = -1
        for (index, key) in keys.enumerated() {
            if key.isDefault {
                if defaultRoute >= 0 {
                    throw RouteConflict(first: Int(defaultRoute), second: index, message: "duplicates route \"$default\"")
                }
                defaultRoute = Int32(index)
                continue
            }
            if let conflict = RouteTable.findConflict(index: index, keys: keys, nodes: nodes, map: map, slots: slots) { throw conflict }
            RouteTable.insert(index: index, key: key, into: &nodes, map: &map, slots: &slots)
        }
        self.nodes = nodes
        self.literalMap = map
        self.slots = slots
        self.defaultRoute = defaultRoute
    }

    /// Number of trie nodes (diagnostics and tests: it grows with distinct route shapes, not with lookups).
    public var nodeCount: Int { nodes.count }

    // MARK: Building

    private static func insert(index: Int, key: RouteKey, into nodes: inout [Node], map: inout SegmentMap,
                               slots: inout [Int32]) {
        let literals = Int32(key.literalCount)
        let bit = UInt8(1) << UInt8(slot(of: key.method))
        let isGreedy: Bool
        if case .greedy? = key.segments.last { isGreedy = true } else { isGreedy = false }
        let length = key.segments.count
        var n = 0
        func mark(_ n: Int, depth: Int) {
            nodes[n].maxLiterals = max(nodes[n].maxLiterals, literals)
            if isGreedy {
                nodes[n].subtreeGreedyMethods |= bit
            } else {
                nodes[n].subtreeMethods |= bit
                nodes[n].subtreeDepths |= UInt64(1) << UInt64(min(63, length - depth))
            }
        }
        mark(0, depth: 0)
        for (depth, segment) in key.segments.enumerated() {
            switch segment {
            case .literal(let text):
                let existing = map.lookup(parent: Int32(n), text)
                if existing >= 0 {
                    n = Int(existing)
                } else {
                    var child = Node()
                    child.literalDepth = nodes[n].literalDepth + 1
                    nodes.append(child)
                    let c = Int32(nodes.count - 1)
                    map.insert(parent: Int32(n), text, child: c)
                    nodes[n].literalChildren.append(c)
                    n = Int(c)
                }
            case .parameter:
                if nodes[n].param < 0 {
                    var child = Node()
                    child.literalDepth = nodes[n].literalDepth
                    nodes.append(child)
                    nodes[n].param = Int32(nodes.count - 1)
                }
                n = Int(nodes[n].param)
            case .greedy:
                nodes[n].greedy.set(slot(of: key.method), Int32(index), in: &slots)
                return
            }
            mark(n, depth: depth + 1)
        }
        nodes[n].routes.set(slot(of: key.method), Int32(index), in: &slots)
    }

    /// Finds an earlier route with the same method and precedence that matches some path this one matches.
    private static func findConflict(index: Int, keys: [RouteKey], nodes: [Node], map: SegmentMap,
                                     slots: [Int32]) -> RouteConflict? {
        let key = keys[index]
        let slot = slot(of: key.method)
        let literals = Int32(key.literalCount)
        var segments = key.segments
        let isGreedy: Bool
        if case .greedy? = segments.last { segments.removeLast(); isGreedy = true } else { isGreedy = false }
        var found = Int32.max

        func consider(_ route: Int32) { if route >= 0, route < found { found = route } }

        // Any greedy route (same method, same literal count) anywhere below `n` overlaps a greedy pattern whose
        // prefix is exhausted: this pattern's tail absorbs the other's extra segments.
        let bit = UInt8(1) << UInt8(slot)
        func greedyBelow(_ n: Int) {
            let node = nodes[n]
            if node.maxLiterals < literals || node.literalDepth > literals || node.subtreeGreedyMethods & bit == 0 { return }
            if node.literalDepth == literals { consider(node.greedy.route(slot, in: slots)) }
            if node.param >= 0 { greedyBelow(Int(node.param)) }
            for child in node.literalChildren { greedyBelow(Int(child)) }
        }

        func walk(_ n: Int, _ i: Int) {
            let node = nodes[n]
            if node.maxLiterals < literals || node.literalDepth > literals { return }
            if isGreedy {
                if node.subtreeGreedyMethods & bit == 0 { return }
            } else {
                // Other route's literals can be at most its depth so far plus one per remaining pattern segment.
                if Int(node.literalDepth) + (segments.count - i) < Int(literals) || node.subtreeMethods & bit == 0
                    || node.subtreeDepths & (UInt64(1) << UInt64(min(63, segments.count - i))) == 0 { return }
            }
            if isGreedy, node.literalDepth == literals { consider(node.greedy.route(slot, in: slots)) }
            if i == segments.count {
                if isGreedy {
                    if node.param >= 0 { greedyBelow(Int(node.param)) }
                    for child in node.literalChildren { greedyBelow(Int(child)) }
                } else if node.literalDepth == literals {
                    consider(node.routes.route(slot, in: slots))
                }
                return
            }
            if node.param >= 0 { walk(Int(node.param), i + 1) }
            switch segments[i] {
            case .literal(let text):
                let child = map.lookup(parent: Int32(n), text)
                if child >= 0 { walk(Int(child), i + 1) }
            default:
                for child in node.literalChildren { walk(Int(child), i + 1) }
            }
        }
        walk(0, 0)

        guard found != Int32.max else { return nil }
        let other = keys[Int(found)]
        if other.shape == key.shape {
            return RouteConflict(first: Int(found), second: index, message: "duplicates route \"\(other)\"")
        }
        return RouteConflict(first: Int(found), second: index,
                             message: "is ambiguous with route \"\(other)\" (both match \(witness(key, other)))")
    }

    /// A concrete path both (overlapping) routes match, for the conflict message.
    private static func witness(_ a: RouteKey, _ b: RouteKey) -> String {
        var out = ""
        var i = 0
        while i < max(a.segments.count, b.segments.count) {
            let x = i < a.segments.count ? a.segments[i] : nil
            let y = i < b.segments.count ? b.segments[i] : nil
            out += "/"
            if case .literal(let s)? = x { out += s } else if case .literal(let s)? = y { out += s } else { out += "x" }
            i += 1
        }
        return out.isEmpty ? "/" : out
    }

    // MARK: Matching

    /// Matches a request; `path` excludes the query string and "" means "/".
    public func match(method: Substring, path: Substring) -> RouteMatch {
        let slot = RouteTable.slot(ofRequestMethod: method)
        let best = PathScan.withBytes(path) { bytes -> Int32 in
            var best = Best()
            var visits = 0
            search(0, bytes, 0, slot, &best, &visits)
            return best.route
        }
        if best >= 0 { return .matched(route: Int(best), parameters: parameters(route: Int(best), path: path)) }
        if defaultRoute >= 0 { return .matched(route: Int(defaultRoute), parameters: PathParameters()) }
        var mask = PathScan.withBytes(path) { bytes -> UInt8 in
            var mask: UInt8 = 0
            collectMethods(0, bytes, 0, &mask)
            return mask
        }
        if mask == 0 { return .notFound }
        if mask & (1 << UInt8(RouteTable.getSlot)) != 0 { mask |= 1 << UInt8(RouteTable.headSlot) }
        var allow: [String] = []
        for s in 0..<RouteTable.methodCount where mask & (1 << UInt8(s)) != 0 { allow.append(RouteTable.slotNames[s]) }
        allow.sort()
        return .methodNotAllowed(allow: allow)
    }

    /// Trie nodes the best-route search enters for a request (tests assert it stays bounded by path depth).
    func visitedNodes(method: Substring, path: Substring) -> Int {
        PathScan.withBytes(path) { bytes in
            var best = Best()
            var visits = 0
            search(0, bytes, 0, RouteTable.slot(ofRequestMethod: method), &best, &visits)
            return visits
        }
    }

    struct Best {
        /// literalCount * 8 + 4 (non-greedy) + method rank (3 exact, 2 GET-for-HEAD, 1 ANY); -1 = none.
        var score: Int = -1
        var route: Int32 = -1
    }

    @inline(__always)
    private func pick(_ e: Endpoints, _ slot: Int) -> (route: Int32, rank: Int) {
        if e.mask == 0 { return (-1, 0) }
        if slot >= 0 {
            let r = e.route(slot, in: slots)
            if r >= 0 { return (r, 3) }
            if slot == RouteTable.headSlot {
                let g = e.route(RouteTable.getSlot, in: slots)
                if g >= 0 { return (g, 2) }
            }
        }
        let a = e.route(RouteTable.anySlot, in: slots)
        return a >= 0 ? (a, 1) : (-1, 0)
    }

    private func search(_ n: Int, _ path: UnsafeBufferPointer<UInt8>, _ from: Int, _ slot: Int, _ best: inout Best,
                        _ visits: inout Int) {
        visits &+= 1
        // Best score any route below could reach is maxLiterals*8 + 7; prune if it cannot beat what we have.
        if Int(nodes[n].maxLiterals) * 8 + 7 <= best.score { return }
        let literalScore = Int(nodes[n].literalDepth) * 8
        guard let seg = PathScan.nextSegment(path, from: from) else {
            let (r, rank) = pick(nodes[n].routes, slot)
            if r >= 0, literalScore + 4 + rank > best.score { best = Best(score: literalScore + 4 + rank, route: r) }
            return
        }
        if !nodes[n].literalChildren.isEmpty {
            let child = literalMap.lookup(parent: Int32(n), UnsafeBufferPointer(rebasing: path[seg]))
            if child >= 0 { search(Int(child), path, seg.upperBound, slot, &best, &visits) }
        }
        let param = nodes[n].param
        if param >= 0 { search(Int(param), path, seg.upperBound, slot, &best, &visits) }
        let (r, rank) = pick(nodes[n].greedy, slot)
        if r >= 0, literalScore + rank > best.score { best = Best(score: literalScore + rank, route: r) }
    }

    private func collectMethods(_ n: Int, _ path: UnsafeBufferPointer<UInt8>, _ from: Int, _ mask: inout UInt8) {
        if nodes[n].maxLiterals < 0 { return }
        guard let seg = PathScan.nextSegment(path, from: from) else {
            mask |= nodes[n].routes.mask
            return
        }
        mask |= nodes[n].greedy.mask
        if !nodes[n].literalChildren.isEmpty {
            let child = literalMap.lookup(parent: Int32(n), UnsafeBufferPointer(rebasing: path[seg]))
            if child >= 0 { collectMethods(Int(child), path, seg.upperBound, &mask) }
        }
        let param = nodes[n].param
        if param >= 0 { collectMethods(Int(param), path, seg.upperBound, &mask) }
    }

    /// Re-walks the path along the winning route's shape; cheaper than tracking captures during the search.
    private func parameters(route: Int, path: Substring) -> PathParameters {
        var params = PathParameters()
        let segments = keys[route].segments
        if segments.allSatisfy({ if case .literal = $0 { true } else { false } }) { return params }
        PathScan.withBytes(path) { bytes in
            var from = 0
            for segment in segments {
                guard let seg = PathScan.nextSegment(bytes, from: from) else { break }
                switch segment {
                case .literal: break
                case .parameter(let name): params.append(name, PathScan.slice(path, seg))
                case .greedy(let name): params.append(name, PathScan.slice(path, seg.lowerBound..<bytes.count))
                }
                from = seg.upperBound
            }
        }
        return params
    }
}

extension RouteKey {
    /// Literal segments: the first precedence criterion.
    var literalCount: Int {
        segments.reduce(0) { if case .literal = $1 { $0 + 1 } else { $0 } }
    }

    /// The route's shape with parameter names erased (duplicates differ only in names).
    var shape: [String?] {
        segments.map { segment in
            switch segment {
            case .literal(let s): s
            case .parameter: nil
            case .greedy: "{+}"
            }
        }
    }
}
