/// A JSON object that keeps its members in document order (for messages and output) and answers lookups without
/// hashing for the sizes request bodies have: a linear scan over each key's `KeyTag`. A hash index is built only
/// past `indexThreshold` members. Keys match by code points, not by Unicode canonical equivalence as Swift's
/// `String ==` would. Members live in one array: one allocation per object, which parsing a body does per object.
public struct JSONObject: Sendable, Equatable {
    struct Member: Sendable {
        let key: String
        let tag: KeyTag
        var value: JSONInstance
    }

    private(set) var storage: [Member]
    /// Key → position; only built past `indexThreshold` members, where a linear scan stops being cheaper.
    private var index: [ExactKey: Int]?
    static let indexThreshold = 32

    public init() {
        storage = []
    }

    /// Builds from ordered members; a repeated key keeps its first position and takes the last value.
    public init(_ members: [(String, JSONInstance)]) {
        self.init()
        storage.reserveCapacity(members.count)
        for (key, value) in members { self[key] = value }
    }

    /// Builds from members known to have distinct keys (the parser checks as it reads).
    init(distinctMembers members: [Member]) {
        storage = members
        index = members.count > JSONObject.indexThreshold ? Self.buildIndex(members) : nil
    }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }

    /// Keys in document order.
    public var keys: [String] { storage.map(\.key) }
    /// Values in document order.
    public var values: [JSONInstance] { storage.map(\.value) }

    public func position(of key: String) -> Int? {
        if let index { return index[ExactKey(key)] }
        return position(of: key, tag: KeyTag(key))
    }

    func position(of key: String, tag: KeyTag) -> Int? {
        if let index { return index[ExactKey(key)] }
        for position in storage.indices where storage[position].tag.matches(tag, storage[position].key, key) {
            return position
        }
        return nil
    }

    /// The position of a declared property, trying `hint` first: schemas list properties in the order documents
    /// usually write them, so walking a schema's `properties` with a moving hint finds most members at once.
    func position(of key: PropertyKey, hint: Int) -> Int? {
        if hint < storage.count, storage[hint].tag.matches(key.tag, storage[hint].key, key.name) { return hint }
        return position(of: key.name, tag: key.tag)
    }

    public subscript(key: String) -> JSONInstance? {
        get { position(of: key).map { storage[$0].value } }
        set {
            if let position = position(of: key) {
                if let newValue { storage[position].value = newValue } else { remove(at: position) }
                return
            }
            guard let newValue else { return }
            append(key, newValue)
        }
    }

    private mutating func append(_ key: String, _ value: JSONInstance) {
        storage.append(Member(key: key, tag: KeyTag(key), value: value))
        if index != nil {
            index![ExactKey(key)] = storage.count - 1
        } else if storage.count > JSONObject.indexThreshold {
            index = Self.buildIndex(storage)
        }
    }

    private mutating func remove(at position: Int) {
        storage.remove(at: position)
        index = storage.count > JSONObject.indexThreshold ? Self.buildIndex(storage) : nil
    }

    private static func buildIndex(_ members: [Member]) -> [ExactKey: Int] {
        Dictionary(uniqueKeysWithValues: members.enumerated().map { (ExactKey($1.key), $0) })
    }

    /// Members in document order.
    public var members: some RandomAccessCollection<(String, JSONInstance)> { storage.lazy.map { ($0.key, $0.value) } }

    /// Objects are equal when they hold the same keys with equal values, in any order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for member in lhs.storage {
            guard let position = rhs.position(of: member.key, tag: member.tag),
                  rhs.storage[position].value == member.value else { return false }
        }
        return true
    }
}

/// A string compared and hashed by its UTF-8 bytes (JSON key identity).
struct ExactKey: Hashable, Sendable {
    let value: String

    init(_ value: String) { self.value = value }

    static func == (lhs: ExactKey, rhs: ExactKey) -> Bool { same(lhs.value, rhs.value) }

    /// Byte equality, with the O(1) length check first (most keys differ in length).
    static func same(_ lhs: String, _ rhs: String) -> Bool {
        guard lhs.utf8.count == rhs.utf8.count else { return false }
        var left = lhs
        var right = rhs
        return left.withUTF8 { leftBytes in
            right.withUTF8 { rightBytes in bytesEqual(UnsafeRawBufferPointer(leftBytes), UnsafeRawBufferPointer(rightBytes)) }
        }
    }

    /// Byte equality eight bytes at a time: keys are compared for every member lookup, and the generic
    /// `elementsEqual` goes byte by byte.
    static func bytesEqual(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
        let count = lhs.count
        guard rhs.count == count else { return false }
        var offset = 0
        while offset + 8 <= count {
            if lhs.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                != rhs.loadUnaligned(fromByteOffset: offset, as: UInt64.self) { return false }
            offset += 8
        }
        while offset < count {
            if lhs[offset] != rhs[offset] { return false }
            offset += 1
        }
        return true
    }

    func hash(into hasher: inout Hasher) {
        var value = value
        value.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
