/// The annotations `unevaluatedProperties`/`unevaluatedItems` depend on: which members and items of the current
/// instance some successful keyword has already evaluated.
struct EvaluatedLocations {
    var allProperties = false
    /// Member names compared by bytes, as `properties` matches them (not by Swift's canonical equivalence).
    var properties: Set<ExactKey> = []
    var allItems = false
    /// Items `0..<itemPrefix` are evaluated.
    var itemPrefix = 0
    var itemIndices: Set<Int> = []

    func containsProperty(_ name: String) -> Bool { allProperties || properties.contains(ExactKey(name)) }

    func containsItem(_ index: Int) -> Bool { allItems || index < itemPrefix || itemIndices.contains(index) }

    mutating func merge(_ other: EvaluatedLocations) {
        allProperties = allProperties || other.allProperties
        properties.formUnion(other.properties)
        allItems = allItems || other.allItems
        itemPrefix = max(itemPrefix, other.itemPrefix)
        itemIndices.formUnion(other.itemIndices)
    }
}
