/// Why a CIDR list entry was rejected; `index` is its position in the list.
public struct CIDRError: Error, Equatable, Sendable {
    public let index: Int
    public let message: String
    public init(index: Int, message: String) {
        self.index = index
        self.message = message
    }
}

/// A set of IPv4/IPv6 networks (trusted proxies, WAF IP sets).
///
/// Networks are bucketed by prefix length, each bucket a hash set of masked addresses, so `contains` costs one
/// lookup per distinct prefix length (at most 129) however many networks there are. IPv4 networks are stored
/// as IPv4-mapped IPv6 (/8 becomes /104), which is why an IPv4-mapped peer matches IPv4 entries.
/// Entries with host bits set ("10.1.2.3/8") are accepted and masked, as nginx and most gateways do.
public struct CIDRSet: Sendable, Equatable {
    struct Network: Hashable, Sendable {
        let high: UInt64
        let low: UInt64
    }

    struct Bucket: Equatable, Sendable {
        let prefix: Int  // 0...128, in IPv6 bits
        var networks: Set<Network>
    }

    /// Longest prefix first (a host route is the most common trusted-proxy entry).
    private(set) var buckets: [Bucket] = []
    /// The same networks as (prefix, network) pairs in a canonical order, scanned directly while the set is small
    /// (typical trusted-proxy lists): a few ANDs beat hashing.
    private(set) var small: [SmallEntry] = []
    private var total = 0
    static let smallLimit = 16

    struct SmallEntry: Equatable, Sendable {
        let high: UInt64
        let low: UInt64
        let highMask: UInt64
        let lowMask: UInt64
    }

    public static func == (a: CIDRSet, b: CIDRSet) -> Bool { a.buckets == b.buckets }

    public static let empty = CIDRSet()

    init() {}

    public init(parsing cidrs: [String]) throws(CIDRError) {
        for (index, text) in cidrs.enumerated() {
            let (address, prefix) = try CIDRSet.parse(text, index: index)
            insert(address, prefix: prefix)
        }
    }

    public var isEmpty: Bool { buckets.isEmpty }

    public func contains(_ address: IPAddress) -> Bool {
        if total <= CIDRSet.smallLimit {
            for e in small where address.high & e.highMask == e.high && address.low & e.lowMask == e.low { return true }
            return false
        }
        for bucket in buckets where bucket.networks.contains(CIDRSet.masked(address, bucket.prefix)) {
            return true
        }
        return false
    }

    mutating func insert(_ address: IPAddress, prefix: Int) {
        let network = CIDRSet.masked(address, prefix)
        if let i = buckets.firstIndex(where: { $0.prefix == prefix }) {
            guard buckets[i].networks.insert(network).inserted else { return }
        } else {
            buckets.append(Bucket(prefix: prefix, networks: [network]))
            buckets.sort { $0.prefix > $1.prefix }
        }
        total += 1
        small = []
        guard total <= CIDRSet.smallLimit else { return }
        for bucket in buckets {
            let (hm, lm) = CIDRSet.masks(bucket.prefix)
            for n in bucket.networks.sorted(by: { ($0.high, $0.low) < ($1.high, $1.low) }) {
                small.append(SmallEntry(high: n.high, low: n.low, highMask: hm, lowMask: lm))
            }
        }
    }

    @inline(__always)
    static func masks(_ prefix: Int) -> (UInt64, UInt64) {
        let hiMask: UInt64 = prefix >= 64 ? .max : (prefix == 0 ? 0 : .max << UInt64(64 - prefix))
        let loMask: UInt64 = prefix <= 64 ? 0 : (prefix == 128 ? .max : .max << UInt64(128 - prefix))
        return (hiMask, loMask)
    }

    @inline(__always)
    static func masked(_ a: IPAddress, _ prefix: Int) -> Network {
        let (hiMask, loMask) = masks(prefix)
        return Network(high: a.high & hiMask, low: a.low & loMask)
    }

    /// Parses "addr/len" or a bare address (a host route); returns the prefix in IPv6 bits.
    static func parse(_ text: String, index: Int) throws(CIDRError) -> (IPAddress, Int) {
        func fail(_ why: String) -> CIDRError { CIDRError(index: index, message: "invalid CIDR \"\(text)\": \(why)") }
        let whole = Substring(text)
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
