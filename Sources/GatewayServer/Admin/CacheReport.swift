import GatewayCore

/// The response cache as the admin API shows it: `portcullis_cache_*` series in `/metrics`, and `DELETE /cache`
/// (optionally `?api=NAME&route=ROUTEKEY`) answering how many entries it removed.
enum CacheReport {
    static func prometheus(_ snapshot: GatewaySnapshot) -> [UInt8] {
        guard let cache = snapshot.responseCache else { return [] }
        let stats = cache.statistics
        let series: [(String, String, String, Int)] = [
            ("portcullis_cache_hits_total", "counter", "Requests answered from the cache.", stats.hits),
            ("portcullis_cache_misses_total", "counter", "Cacheable requests the cache could not answer.", stats.misses),
            ("portcullis_cache_stores_total", "counter", "Responses stored.", stats.stores),
            ("portcullis_cache_evictions_total", "counter", "Entries evicted to stay within the capacity.", stats.evictions),
            ("portcullis_cache_expirations_total", "counter", "Entries dropped when their ttl ran out.", stats.expirations),
            ("portcullis_cache_entries", "gauge", "Entries stored now.", stats.entries),
            ("portcullis_cache_bytes", "gauge", "Bytes stored now (keys, headers, bodies, bookkeeping).", stats.bytes),
            ("portcullis_cache_capacity_bytes", "gauge", "The configured capacity.", cache.capacity),
        ]
        var text = ""
        for (name, type, help, value) in series {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        return Array(text.utf8)
    }

    /// `DELETE /cache[?api=NAME[&route=ROUTEKEY]]` → `{"removed": N}` and what was flushed (for the rest of a
    /// fleet); nil when the query is malformed.
    static func flush(_ snapshot: GatewaySnapshot, query: Substring?)
        -> (body: [UInt8], removed: Int, api: String?, route: String?)? {
        var api: String?
        var route: String?
        for pair in (query ?? "").split(separator: "&") {
            guard let equals = pair.firstIndex(of: "="),
                  let value = PercentDecoding.decode(pair[pair.index(after: equals)...]) else { return nil }
            switch pair[..<equals] {
            case "api": api = value
            case "route": route = value
            default: return nil
            }
        }
        if route != nil && api == nil { return nil }
        let removed = snapshot.responseCache?.flush(api: api, route: route) ?? 0
        return (Array(#"{"removed":\#(removed)}"#.utf8), removed, api, route)
    }

    /// Fleet mode's answer: this instance's count, and how many instances Redis delivered the flush to (this one
    /// included), to compare with `portcullis_fleet_instances`.
    static func fleetBody(removed: Int, instancesReached: Int) -> [UInt8] {
        Array(#"{"removed":\#(removed),"instancesReached":\#(instancesReached)}"#.utf8)
    }
}
