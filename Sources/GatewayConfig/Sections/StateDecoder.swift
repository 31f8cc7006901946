import GatewayCore
import Redis

/// `state`: where counters live. `memory` (the default) keeps them in this instance and, with `path`, writes them
/// to disk so quotas and buckets survive a restart. `redis` shares them across a fleet through one Redis server
/// (`url`, `onUnavailable`; Portcullis adds `budget` and `keyPrefix`).
enum StateDecoder {
    static func decode(_ node: Node?) -> StateSettings? {
        guard let node else { return StateSettings(path: nil) }
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        let before = node.context.errorCount
        var isRedis = false
        if let storeNode = reader.optional("store"), let store = storeNode.string() {
            switch store {
            case "memory":
                break
            case "redis":
                isRedis = true
            default:
                storeNode.context.error(storeNode.pointer, "must be \"memory\" or \"redis\" (got \"\(store)\")")
            }
        }
        let path = reader.optional("path")?.filePath()
        let redisKeys = ["url", "onUnavailable", "budget", "keyPrefix"]
        guard isRedis else {
            for key in redisKeys {
                guard let stray = reader.optional(key) else { continue }
                stray.context.error(stray.pointer, "\"\(key)\" belongs to the \"redis\" store (set \"store\": \"redis\")")
            }
            guard node.context.errorCount == before else { return nil }
            return StateSettings(path: path)
        }
        var redis = RedisStateSettings(url: "")
        if let urlNode = reader.optional("url") {
            if let text = urlNode.string() {
                switch RedisURL.parse(text) {
                case .success: redis.url = text
                case .failure(let error): urlNode.context.error(urlNode.pointer, error.description)
                }
            }
        } else {
            node.context.error(JSONPointer.appending(node.pointer, "url"),
                               "the \"redis\" store needs \"url\" (redis://host:port/db)")
        }
        if let policyNode = reader.optional("onUnavailable"), let text = policyNode.string() {
            if let policy = RedisStateSettings.UnavailablePolicy(rawValue: text) {
                redis.onUnavailable = policy
            } else {
                policyNode.context.error(policyNode.pointer, "must be \"local\", \"allow\" or \"deny\" (got \"\(text)\")")
            }
        }
        if let budget = reader.optional("budget")?.duration(max: .seconds(10), minExclusive: true) {
            redis.budget = budget
        }
        if let prefixNode = reader.optional("keyPrefix"), let prefix = prefixNode.string() {
            redis.keyPrefix = prefix
        }
        guard node.context.errorCount == before else { return nil }
        return StateSettings(path: path, redis: redis)
    }
}
