/// A JSON object that keeps its members in document order (for messages and output) and answers lookups in O(1)
/// via a hash index built once when the object has more than a handful of members. Keys match by code points,
/// not by Unicode canonical equivalence as Swift's `String ==` would.
public struct JSONObject: Sendable, Equatable {
    public private(set) var keys: [String]
    public private(set) var values: [JSONInstance]
    /// Key → position; only built past `indexThreshold` members, where a linear scan stops being cheaper.
    private var index: [ExactKey: Int]?
    private static let indexThreshold = 8

    public init() {
        keys = []
        values = []
    }

    /// Builds from ordered members; a repeated key keeps its first position and takes the last value.
    public init(_ members: [(String, JSONInstance)]) {
        self.init()
        keys.reserveCapacity(members.count)
        values.reserveCapacity(members.count)
        for (key, value) in members { self[key] = value }
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    public func position(of key: String) -> Int? {
        if let index { return index[ExactKey(key)] }
        return keys.firstIndex { ExactKey.same($0, key) }
    }

    public subscript(key: String) -> JSONInstance? {
        get { position(of: key).map { values[$0] } }
        set {
            if let position = position(of: key) {
                if let newValue { values[position] = newValue } else { remove(at: position) }
                return
            }
            guard let newValue else { return }
            append(key, newValue)
        }
    }

    /// Adds a member unless `key` is already present (false then, and nothing changes): the parser's one lookup
    /// per member, where the subscript would search twice (once to reject a duplicate, once to store).
    mutating func appendNew(_ key: String, _ value: JSONInstance) -> Bool {
        guard position(of: key) == nil else { return false }
        append(key, value)
        return true
    }

    private mutating func append(_ key: String, _ value: JSONInstance) {
        keys.append(key)
        values.append(value)
        if index != nil {
            index![ExactKey(key)] = keys.count - 1
        } else if keys.count > JSONObject.indexThreshold {
            index = Dictionary(uniqueKeysWithValues: keys.enumerated().map { (ExactKey($1), $0) })
        }
    }

    private mutating func remove(at position: Int) {
        keys.remove(at: position)
        values.remove(at: position)
        index = keys.count > JSONObject.indexThreshold
            ? Dictionary(uniqueKeysWithValues: keys.enumerated().map { (ExactKey($1), $0) }) : nil
    }

    /// Members in document order.
    public var members: Zip2Sequence<[String], [JSONInstance]> { zip(keys, values) }

    /// Objects are equal when they hold the same keys with equal values, in any order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (key, value) in lhs.members {
            guard let other = rhs[key], other == value else { return false }
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

    /// Equal-length byte comparison eight bytes at a time: keys are compared for every member lookup, and the
    /// generic `elementsEqual` goes byte by byte.
    private static func bytesEqual(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
        let count = lhs.count
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
