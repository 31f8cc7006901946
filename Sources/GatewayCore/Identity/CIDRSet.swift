/// Why a CIDR list entry was rejected; `index` is its position in the list.
public struct CIDRError: Error, Equatable, Sendable {
    public let index: Int
    public let message: String
    public init(index: Int, message: String) {
        self.index = index
        self.message = message
    }
}

/// A set of IPv4/IPv6 networks (trusted proxies, WAF IP sets), compiled for lookups whose cost does not depend on
/// how the networks were written.
///
/// Every network becomes a range of 128-bit addresses (IPv4 as IPv4-mapped IPv6, which is why a mapped peer
/// matches IPv4 entries); overlapping and adjacent ranges are merged, so a lookup is a binary search over disjoint
/// ranges. IPv4 lookups in a large set first read an index on the address's /16, which narrows the search to the
/// ranges inside that /16: 100k networks cost one index read and a few comparisons. Entries with host bits set
/// ("10.1.2.3/8") are accepted and masked, as nginx and most gateways do.
public struct CIDRSet: Sendable, Equatable {
    /// Disjoint, sorted, non-adjacent address ranges (both ends inclusive).
    private(set) var starts: [UInt128] = []
    private(set) var ends: [UInt128] = []
    /// For large sets: `ipv4Index[b]` is the first range that may hold an IPv4 address of /16 number `b`
    /// (65,537 entries, the last one the end); empty when the set is small enough to search directly.
    private var ipv4Index: [Int32] = []

    static let ipv4IndexThreshold = 256
    static let ipv4Base: UInt128 = 0xFFFF_0000_0000

    public static func == (a: CIDRSet, b: CIDRSet) -> Bool { a.starts == b.starts && a.ends == b.ends }

    public static let empty = CIDRSet()

    init() {}

    /// Every entry is parsed and checked; the first bad one throws with its index.
    public init(parsing cidrs: [String]) throws(CIDRError) {
        var ranges: [(UInt128, UInt128)] = []
        ranges.reserveCapacity(cidrs.count)
        for (index, text) in cidrs.enumerated() {
            let (address, prefix) = try CIDRSet.parse(Substring(text), index: index)
            ranges.append(CIDRSet.range(address, prefix: prefix))
        }
        self.init(ranges: ranges)
    }

    /// From parsed networks (address, prefix length in IPv6 bits), in any order, overlapping or not.
    public init(networks: [(IPAddress, Int)]) {
        self.init(ranges: networks.map { CIDRSet.range($0.0, prefix: $0.1) })
    }

    private init(ranges unsorted: [(UInt128, UInt128)]) {
        let ranges = unsorted.sorted { $0.0 < $1.0 }
        starts.reserveCapacity(ranges.count)
        ends.reserveCapacity(ranges.count)
        for (start, end) in ranges {
            // Merge into the previous range when they overlap or touch (end + 1 == start).
            if let last = ends.last, last == .max || start <= last + 1 {
                if end > last { ends[ends.count - 1] = end }
                continue
            }
            starts.append(start)
            ends.append(end)
        }
        if starts.count > CIDRSet.ipv4IndexThreshold { buildIPv4Index() }
    }

    public var isEmpty: Bool { starts.isEmpty }

    /// How many disjoint ranges the networks merged into (for diagnostics and tests).
    public var rangeCount: Int { starts.count }

    public func contains(_ address: IPAddress) -> Bool {
        let value = UInt128(address.high) << 64 | UInt128(address.low)
        var lo = 0
        var hi = starts.count
        if !ipv4Index.isEmpty, address.isIPv4Mapped {
            let bucket = Int(truncatingIfNeeded: address.low >> 16) & 0xFFFF
            lo = Int(ipv4Index[bucket])
            hi = min(starts.count, Int(ipv4Index[bucket + 1]) + 1)
        }
        // The last range starting at or before `value` is the only one that can hold it.
        while lo < hi {
            let mid = (lo + hi) >> 1
            if starts[mid] <= value { lo = mid + 1 } else { hi = mid }
        }
        return lo > 0 && value <= ends[lo - 1]
    }

    private mutating func buildIPv4Index() {
        var index = [Int32](repeating: 0, count: 65_537)
        var range = 0
        for bucket in 0...65_536 {
            let bucketStart = CIDRSet.ipv4Base | UInt128(bucket) << 16
            // First range that ends at or after the bucket's first address (a range may start in an earlier bucket).
            while range < ends.count, ends[range] < bucketStart { range += 1 }
            index[bucket] = Int32(range)
        }
        ipv4Index = index
    }

    static func range(_ address: IPAddress, prefix: Int) -> (UInt128, UInt128) {
        let value = UInt128(address.high) << 64 | UInt128(address.low)
        let hostMask: UInt128 = prefix >= 128 ? 0 : (prefix == 0 ? .max : (UInt128.max >> UInt128(prefix)))
        return (value & ~hostMask, value | hostMask)
    }

    /// Parses "addr/len" or a bare address (a host route); returns the prefix in IPv6 bits.
    public static func parse(_ whole: Substring, index: Int) throws(CIDRError) -> (IPAddress, Int) {
        func fail(_ why: String) -> CIDRError { CIDRError(index: index, message: "invalid CIDR \"\(whole)\": \(why)") }
        let slash = whole.firstIndex(of: "/")
        let addressText = slash.map { whole[..<$0] } ?? whole
        if addressText.isEmpty { throw fail("missing address") }
        guard let address = IPAddress(addressText) else {
            throw fail("\"\(addressText)\" is not an IPv4 or IPv6 address")
        }
        let maxBits = address.isIPv4 ? 32 : 128
        var bits = maxBits
        if let slash {
            let lengthText = whole[whole.index(after: slash)...]
            if lengthText.isEmpty { throw fail("missing prefix length after \"/\"") }
            guard lengthText.utf8.count <= 3, lengthText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let n = Int(lengthText), n <= maxBits else {
                throw fail("prefix length must be 0–\(maxBits) for \(address.isIPv4 ? "IPv4" : "IPv6") (got \"\(lengthText)\")")
            }
            bits = n
        }
        return (address, address.isIPv4 ? bits + 96 : bits)
    }
}
