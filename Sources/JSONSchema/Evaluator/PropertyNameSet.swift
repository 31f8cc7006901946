/// The property names a schema declares (`additionalProperties` asks "is this member declared?" once per member),
/// matched by UTF-8 bytes. Small sets scan a flat array of byte lengths and compare bytes only on an equal length:
/// no hashing and no reference counting per lookup. Large sets hash.
struct PropertyNameSet: Sendable {
    private var names: [String] = []
    private var lengths: [Int] = []
    private var hashed: Set<ExactKey>?
    private static let scanLimit = 16

    init(_ declared: some Sequence<String>) {
        for name in declared where !contains(name) {
            names.append(name)
            lengths.append(name.utf8.count)
        }
        if names.count > PropertyNameSet.scanLimit { hashed = Set(names.lazy.map(ExactKey.init)) }
    }

    func contains(_ name: String) -> Bool {
        if let hashed { return hashed.contains(ExactKey(name)) }
        let length = name.utf8.count
        for index in lengths.indices where lengths[index] == length && ExactKey.same(names[index], name) {
            return true
        }
        return false
    }
}
