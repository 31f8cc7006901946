/// The IETF `RateLimit-Policy` and `RateLimit` fields (draft-ietf-httpapi-ratelimit-headers-10, structured-field
/// lists): one item per limit that applied, named by its level, e.g.
/// `RateLimit-Policy: "route";q=100;w=2, "quota";q=10000;w=2592000` and `RateLimit: "route";r=41;t=1, ...`.
///
/// A bucket's quota `q` is its burst and its window `w` the seconds it takes to refill (burst / rate, rounded
/// up); `r` is the whole tokens left and `t` the seconds until the bucket is full again. A quota's `w` is its
/// current period and `t` the seconds until that period ends. Policy items are built when a config compiles;
/// a request writes its field's bytes once, into the string's own storage.
public enum RateLimitHeaders {
    public static let policyName = "ratelimit-policy"
    public static let stateName = "ratelimit"

    /// The policy field: `routePart` (the route's buckets' items, joined once per config), then the key's.
    public static func policy(routePart: String, _ request: LimitRequest, _ outcome: LimitOutcome,
                              key: CompiledAPIKey? = nil) -> String {
        if let key, routePart.isEmpty, request.planRouteBucket == nil {
            return key.policyField(periodLength: outcome.quotaPeriod)
        }
        let quotaItem = request.quota?.policyItem(periodLength: outcome.quotaPeriod)
        guard request.planBucket != nil || request.planRouteBucket != nil || quotaItem != nil else { return routePart }
        let plan = request.planBucket?.policyItem, planRoute = request.planRouteBucket?.policyItem
        let capacity = routePart.utf8.count + (plan?.utf8.count ?? 0) + (planRoute?.utf8.count ?? 0)
            + (quotaItem?.utf8.count ?? 0) + 8
        return String(unsafeUninitializedCapacity: capacity) { buffer in
            var field = FieldWriter(buffer)
            if !routePart.isEmpty { field.item(routePart) }
            if let plan { field.item(plan) }
            if let planRoute { field.item(planRoute) }
            if let quotaItem { field.item(quotaItem) }
            return field.count
        }
    }

    /// The route's buckets' policy items, joined: built when a config compiles.
    public static func policy(of buckets: [BucketHandle]) -> String {
        buckets.map(\.policyItem).joined(separator: ", ")
    }

    public static func state(_ request: LimitRequest, _ outcome: LimitOutcome) -> String {
        // Per item at most: ", " + quoted name (12) + ";r=" + 19 digits + ";t=" + 19 digits.
        let capacity = 60 * (outcome.buckets.count + 1)
        return String(unsafeUninitializedCapacity: capacity) { buffer in
            var field = FieldWriter(buffer)
            var index = 0
            request.forEachBucket { bucket in
                field.state(bucket.policy.rawValue, outcome.buckets[index])
                index += 1
            }
            if let quota = outcome.quota { field.state("quota", quota) }
            return field.count
        }
    }

    /// Whole seconds, rounded up: a client that waits this long is never early.
    public static func seconds(_ nanoseconds: Int64) -> Int64 {
        nanoseconds <= 0 ? 0 : (nanoseconds + 999_999_999) / 1_000_000_000
    }

    /// Appends list items into a string's uninitialised storage.
    struct FieldWriter {
        let buffer: UnsafeMutableBufferPointer<UInt8>
        var count = 0

        init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
            self.buffer = buffer
        }

        mutating func item(_ text: String) {
            if count > 0 { bytes(", ") }
            bytes(text)
        }

        mutating func state(_ name: String, _ state: LimitState) {
            if count > 0 { bytes(", ") }
            byte(UInt8(ascii: "\""))
            bytes(name)
            bytes("\";r=")
            decimal(state.remaining)
            bytes(";t=")
            decimal(RateLimitHeaders.seconds(state.resetNanoseconds))
        }

        mutating func bytes(_ text: String) {
            var text = text
            text.withUTF8 { copy($0) }
        }

        mutating func bytes(_ text: StaticString) {
            text.withUTF8Buffer { copy($0) }
        }

        private mutating func copy(_ utf8: UnsafeBufferPointer<UInt8>) {
            guard let source = utf8.baseAddress, let target = buffer.baseAddress, !utf8.isEmpty else { return }
            precondition(utf8.count <= buffer.count - count, "field capacity")
            UnsafeMutableRawPointer(target + count).copyMemory(from: source, byteCount: utf8.count)
            count += utf8.count
        }

        mutating func byte(_ value: UInt8) {
            buffer[count] = value
            count += 1
        }

        mutating func decimal(_ value: Int64) {
            var value = max(value, 0)
            var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                         UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            var length = 0
            withUnsafeMutableBytes(of: &digits) { scratch in
                repeat {
                    scratch[length] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                    length += 1
                } while value > 0
                for i in stride(from: length - 1, through: 0, by: -1) { byte(scratch[i]) }
            }
        }
    }
}
