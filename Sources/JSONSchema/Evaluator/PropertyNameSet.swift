/// The property names a schema declares (`additionalProperties` asks "is this member declared?" once per member),
/// matched by UTF-8 bytes. Small sets scan the names' `KeyTag`s: no hashing and no `String` comparison per
/// lookup. Large sets hash.
struct PropertyNameSet: Sendable {
    private var keys: [PropertyKey] = []
    private var hashed: Set<ExactKey>?
    private static let scanLimit = 16

    init(_ declared: some Sequence<String>) {
        for name in declared where !contains(name, tag: KeyTag(name)) { keys.append(PropertyKey(name)) }
        if keys.count > PropertyNameSet.scanLimit { hashed = Set(keys.lazy.map { ExactKey($0.name) }) }
    }

    var count: Int { keys.count }

    /// `tag` is `name`'s tag, which objects keep for their keys.
    func contains(_ name: String, tag: KeyTag) -> Bool {
        if let hashed { return hashed.contains(ExactKey(name)) }
        for key in keys where key.tag.matches(tag, key.name, name) { return true }
        return false
    }
}
