/// The IETF `RateLimit-Policy` and `RateLimit` fields (draft-ietf-httpapi-ratelimit-headers-10, structured-field
/// lists): one item per limit that applied, named by its level, e.g.
/// `RateLimit-Policy: "route";q=100;w=2, "quota";q=10000;w=2592000` and `RateLimit: "route";r=41;t=1, ...`.
///
/// A bucket's quota `q` is its burst and its window `w` the seconds it takes to refill (burst / rate, rounded
/// up); `r` is the whole tokens left and `t` the seconds until the bucket is full again. A quota's `w` is its
/// current period and `t` the seconds until that period ends.
public enum RateLimitHeaders {
    public static let policyName = "ratelimit-policy"
    public static let stateName = "ratelimit"

    public static func policy(_ request: LimitRequest, now: EpochNanoseconds) -> String {
        var items: [String] = []
        request.forEachBucket { bucket in
            let window = seconds(bucket.throttle.nanoseconds(toRefill: bucket.throttle.capacityUnits))
            items.append("\"\(bucket.policy.rawValue)\";q=\(bucket.throttle.burst);w=\(max(window, 1))")
        }
        if let quota = request.quota {
            let window = quota.quota.window(containing: now)
            items.append("\"quota\";q=\(quota.quota.limit);w=\(seconds(window.end - window.start))")
        }
        return items.joined(separator: ", ")
    }

    public static func state(_ request: LimitRequest, _ outcome: LimitOutcome) -> String {
        var items: [String] = []
        var index = 0
        request.forEachBucket { bucket in
            let state = outcome.buckets[index]
            index += 1
            items.append("\"\(bucket.policy.rawValue)\";r=\(state.remaining);t=\(seconds(state.resetNanoseconds))")
        }
        if let quota = outcome.quota {
            items.append("\"quota\";r=\(quota.remaining);t=\(seconds(quota.resetNanoseconds))")
        }
        return items.joined(separator: ", ")
    }

    /// Whole seconds, rounded up: a client that waits this long is never early.
    public static func seconds(_ nanoseconds: Int64) -> Int64 {
        nanoseconds <= 0 ? 0 : (nanoseconds + 999_999_999) / 1_000_000_000
    }
}
