import GatewayCore

/// `state`: where counters live. `memory` (the default) keeps them in this instance and, with `path`, writes them
/// to disk so quotas and buckets survive a restart. `redis` is the fleet store of a later release.
enum StateDecoder {
    static func decode(_ node: Node?) -> StateSettings? {
        guard let node else { return StateSettings(path: nil) }
        guard let reader = node.object() else { return nil }
        defer { reader.finish() }
        let before = node.context.errorCount
        if let storeNode = reader.optional("store"), let store = storeNode.string() {
            switch store {
            case "memory":
                break
            case "redis":
                storeNode.context.error(storeNode.pointer, "\"redis\" is not supported yet; use \"memory\"")
            default:
                storeNode.context.error(storeNode.pointer, "must be \"memory\" or \"redis\" (got \"\(store)\")")
            }
        }
        let path = reader.optional("path")?.filePath()
        reader.rejectUnsupported(["url", "onUnavailable"], note: " (they belong to the \"redis\" store)")
        guard node.context.errorCount == before else { return nil }
        return StateSettings(path: path)
    }
}
