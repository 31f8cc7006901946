import Crypto

/// One `apiKeys` entry, compiled: its name (what logs and the admin API show), the SHA-256 of its value (all the
/// gateway keeps), its plan and that plan's counters for this key.
public final class CompiledAPIKey: Sendable {
    public let name: String
    public let digest: KeyDigest
    public let enabled: Bool
    public let plan: UsagePlan
    public let planBucket: BucketHandle?
    public let planRouteBuckets: [RouteRef: BucketHandle]
    public let quota: QuotaHandle?
    /// The key's own `RateLimit-Policy` items (plan bucket, then quota) joined, per quota period length: on a route
    /// with no bucket of its own this is the whole field, built once instead of per request.
    private let policyFields: [(period: Int64, field: String)]

    public init(name: String, digest: KeyDigest, enabled: Bool, plan: UsagePlan, planBucket: BucketHandle?,
                planRouteBuckets: [RouteRef: BucketHandle], quota: QuotaHandle?) {
        self.name = name
        self.digest = digest
        self.enabled = enabled
        self.plan = plan
        self.planBucket = planBucket
        self.planRouteBuckets = planRouteBuckets
        self.quota = quota
        let day: Int64 = 86_400 * 1_000_000_000
        let periods: [Int64] = switch quota?.quota.period {
        case .day?: [day]
        case .week?: [7 * day]
        case .month?: [28 * day, 29 * day, 30 * day, 31 * day]
        case nil: [0]
        }
        policyFields = periods.map { period in
            let items = [planBucket?.policyItem, quota?.policyItem(periodLength: period)].compactMap { $0 }
            return (period, items.joined(separator: ", "))
        }
    }

    /// The key's policy items for a quota period of `length` nanoseconds.
    public func policyField(periodLength length: Int64) -> String {
        policyFields.first { $0.period == length }?.field ?? policyFields[0].field
    }
}

/// A SHA-256 digest as four words: hashed and compared without an allocation.
public struct KeyDigest: Hashable, Sendable {
    let words: (UInt64, UInt64, UInt64, UInt64)

    /// The digest of a presented key value.
    public init<Bytes: Collection<UInt8>>(of value: Bytes) {
        var hasher = SHA256()
        if value.withContiguousStorageIfAvailable({ hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }) == nil {
            Array(value).withUnsafeBytes { hasher.update(bufferPointer: $0) }
        }
        // Read straight out of the digest: no intermediate array on the request path.
        words = hasher.finalize().withUnsafeBytes { raw in
            (UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
             UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
             UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
             UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
        }
    }

    /// From 32 bytes (a configured digest); nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        func word(_ at: Int) -> UInt64 { bytes[at..<at + 8].reduce(0) { $0 << 8 | UInt64($1) } }
        words = (word(0), word(8), word(16), word(24))
    }

    /// From 64 hexadecimal digits (`sha256` in the config, any case); nil otherwise.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for index in stride(from: 0, to: 64, by: 2) {
            guard let high = ASCIIHex.value(digits[index]), let low = ASCIIHex.value(digits[index + 1]) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        self.init(bytes: bytes)
    }

    /// Lowercase hex, as `portcullis keys new` prints it.
    public var hex: String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for word in [words.0, words.1, words.2, words.3] {
            for shift in stride(from: 60, through: 0, by: -4) { out.append(ASCIIHex.digit(UInt8(word >> UInt64(shift) & 0xF))) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Compares every bit whatever differs first, so the time taken says nothing about where two digests differ.
    public func constantTimeEquals(_ other: KeyDigest) -> Bool {
        (words.0 ^ other.words.0) | (words.1 ^ other.words.1) | (words.2 ^ other.words.2) | (words.3 ^ other.words.3) == 0
    }

    public static func == (a: KeyDigest, b: KeyDigest) -> Bool { a.constantTimeEquals(b) }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}

/// The configured keys, found by the digest of the presented value: the table never holds a key value, and
/// looking up by digest means timing can tell at most something about a hash, never about a stored key.
public struct APIKeyTable: Sendable {
    private let byDigest: [KeyDigest: CompiledAPIKey]
    /// By name, for the admin API's `/usage/{apiKeyName}`.
    public let byName: [String: CompiledAPIKey]

    public init(_ keys: [CompiledAPIKey]) {
        var byDigest: [KeyDigest: CompiledAPIKey] = [:]
        var byName: [String: CompiledAPIKey] = [:]
        for key in keys {
            byDigest[key.digest] = key
            byName[key.name] = key
        }
        self.byDigest = byDigest
        self.byName = byName
    }

    public static let empty = APIKeyTable([])

    public var isEmpty: Bool { byName.isEmpty }

    /// The key whose value is `presented`, enabled or not.
    public func key(presented: some StringProtocol) -> CompiledAPIKey? {
        let digest = KeyDigest(of: presented.utf8)
        guard let key = byDigest[digest], key.digest.constantTimeEquals(digest) else { return nil }
        return key
    }
}
