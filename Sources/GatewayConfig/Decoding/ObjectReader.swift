import Foundation
import GatewayCore

/// Shared state of one decode run: every diagnostic found so far, plus what `${NAME}` and relative paths resolve against.
final class DecodeContext {
    private(set) var diagnostics: [ConfigDiagnostic] = []
    let environment: [String: String]
    /// Directory holding the config file; relative paths are resolved against it.
    let baseDirectory: String

    init(environment: [String: String], baseDirectory: String) {
        self.environment = environment
        self.baseDirectory = baseDirectory
    }

    func error(_ pointer: String, _ message: String) {
        diagnostics.append(.error(pointer, message))
    }

    func warning(_ pointer: String, _ message: String) {
        diagnostics.append(.warning(pointer, message))
    }

    var errorCount: Int { diagnostics.count { $0.isError } }
}

/// A JSON value plus its pointer: typed accessors report a diagnostic at that pointer and return nil on mismatch,
/// so section decoders can keep going and collect every problem in one run.
struct Node {
    let value: JSONValue
    let pointer: String
    let context: DecodeContext

    func typeError(_ expected: String) {
        context.error(pointer, "must be \(expected) (got \(value.typeName))")
    }

    /// A string with `${NAME}` references expanded; missing variables are errors at this pointer.
    func string() -> String? {
        guard case .string(let raw) = value else {
            typeError("a string")
            return nil
        }
        return expand(raw)
    }

    func expand(_ raw: String) -> String? {
        let outcome = EnvironmentSubstitution.substitute(raw, environment: context.environment)
        for message in outcome.errors { context.error(pointer, message) }
        return outcome.errors.isEmpty ? outcome.value : nil
    }

    func nonEmptyString() -> String? {
        guard let s = string() else { return nil }
        if s.isEmpty {
            context.error(pointer, "must not be empty")
            return nil
        }
        return s
    }

    func bool() -> Bool? {
        guard case .bool(let b) = value else {
            typeError("true or false")
            return nil
        }
        return b
    }

    func int(in range: ClosedRange<Int>) -> Int? {
        guard case .number(let n) = value else {
            typeError("an integer")
            return nil
        }
        guard let i = n.int else {
            context.error(pointer, "must be an integer (got \(n.text))")
            return nil
        }
        guard range.contains(i) else {
            context.error(pointer, "must be between \(range.lowerBound) and \(range.upperBound) (got \(n.text))")
            return nil
        }
        return i
    }

    func object() -> ObjectReader? {
        guard case .object(let o) = value else {
            typeError("an object")
            return nil
        }
        return ObjectReader(object: o, pointer: pointer, context: context)
    }

    func array() -> [Node]? {
        guard case .array(let items) = value else {
            typeError("an array")
            return nil
        }
        return items.enumerated().map { Node(value: $1, pointer: JSONPointer.appending(pointer, $0), context: context) }
    }

    /// Seconds as a number, or "250ms"/"29s"/"5m"/"1h"/"1d"; out of range echoes the value as written.
    /// `minExclusive` is for timeouts where 0 would mean "fail immediately"; `min` is a lower bound other than 0.
    func duration(max: Duration, min: Duration = .zero, minExclusive: Bool = false) -> Duration? {
        let parsed: Duration
        let written: String
        switch value {
        case .number(let n):
            parsed = DurationSyntax.fromSeconds(n.double)
            written = n.text
        case .string:
            guard let text = string() else { return nil }
            guard let d = DurationSyntax.parse(text) else {
                context.error(pointer, "invalid duration \"\(text)\": use seconds (30, 0.5) or a number with ms, s, m, h or d (\"250ms\", \"29s\", \"5m\")")
                return nil
            }
            parsed = d
            written = text
        default:
            typeError("a duration (seconds, or a string such as \"29s\")")
            return nil
        }
        let tooSmall = minExclusive ? parsed <= min : parsed < min
        if tooSmall || parsed > max {
            let lower = DurationSyntax.format(min)
            let bound = minExclusive ? "greater than \(lower) and at most" : "between \(lower) and"
            context.error(pointer, "must be \(bound) \(DurationSyntax.format(max)) (got \(written))")
            return nil
        }
        return parsed
    }

    /// Bytes as an integer, or "512B"/"64KB"/"10MB"/"1GB".
    func size(in range: ClosedRange<Int>) -> Int? {
        let parsed: Int
        let written: String
        switch value {
        case .number(let n):
            guard let i = n.int else {
                context.error(pointer, "must be a whole number of bytes (got \(n.text))")
                return nil
            }
            parsed = i
            written = n.text
        case .string:
            guard let text = string() else { return nil }
            guard let bytes = SizeSyntax.parse(text) else {
                context.error(pointer, "invalid size \"\(text)\": use bytes (1024) or a number with B, KB, MB or GB (\"64KB\", \"10MB\")")
                return nil
            }
            parsed = bytes
            written = text
        default:
            typeError("a size (bytes, or a string such as \"64KB\")")
            return nil
        }
        guard range.contains(parsed) else {
            context.error(pointer, "must be between \(SizeSyntax.format(range.lowerBound)) and \(SizeSyntax.format(range.upperBound)) (got \(written))")
            return nil
        }
        return parsed
    }

    /// A file path; relative ones are resolved against the config file's directory and standardised.
    func filePath() -> String? {
        guard let path = nonEmptyString() else { return nil }
        return ConfigPaths.resolve(path, against: context.baseDirectory)
    }

    /// The value with `${NAME}` expanded in every string inside it (keys are left alone).
    func expandedValue() -> JSONValue? {
        switch value {
        case .string:
            return string().map(JSONValue.string)
        case .array:
            var items: [JSONValue] = []
            var ok = true
            for child in array() ?? [] {
                if let v = child.expandedValue() { items.append(v) } else { ok = false }
            }
            return ok ? .array(items) : nil
        case .object(let o):
            var members: [JSONObject.Member] = []
            var ok = true
            for member in o.members {
                let child = Node(value: member.value, pointer: JSONPointer.appending(pointer, member.key), context: context)
                if let v = child.expandedValue() {
                    members.append(JSONObject.Member(key: member.key, value: v))
                } else {
                    ok = false
                }
            }
            return ok ? .object(JSONObject(members: members)) : nil
        default:
            return value
        }
    }
}

/// A cursor over one JSON object that remembers which keys were asked for, so `finish()` can report
/// every other key as unknown (with a "did you mean" hint) instead of silently ignoring it.
final class ObjectReader {
    let object: JSONObject
    let pointer: String
    let context: DecodeContext
    private var known: [String] = []

    init(object: JSONObject, pointer: String, context: DecodeContext) {
        self.object = object
        self.pointer = pointer
        self.context = context
    }

    func pointer(of key: String) -> String { JSONPointer.appending(pointer, key) }

    func has(_ key: String) -> Bool { object[key] != nil }

    /// The member's node, or nil when absent (the key becomes known either way).
    func optional(_ key: String) -> Node? {
        known.append(key)
        return object[key].map { Node(value: $0, pointer: pointer(of: key), context: context) }
    }

    /// Like `optional`, but an absent key is an error at this object's pointer.
    func required(_ key: String) -> Node? {
        let node = optional(key)
        if node == nil { context.error(pointer, "missing required key \"\(key)\"") }
        return node
    }

    /// Sections a later release implements are rejected, never ignored.
    func rejectUnsupported(_ keys: [String], note: String = "") {
        for key in keys {
            known.append(key)
            if has(key) { context.error(pointer(of: key), "\"\(key)\" is not supported yet\(note)") }
        }
    }

    /// Reports every key nobody asked for, in document order.
    func finish() {
        for member in object.members where !known.contains(member.key) {
            var message = "unknown key \"\(member.key)\""
            if let suggestion = KeySuggestion.closest(to: member.key, among: known) {
                message += " (did you mean \"\(suggestion)\"?)"
            }
            context.error(pointer(of: member.key), message)
        }
    }
}

enum ConfigPaths {
    static func resolve(_ path: String, against directory: String) -> String {
        let absolute = path.hasPrefix("/") ? path : (directory.hasSuffix("/") ? directory : directory + "/") + path
        return URL(fileURLWithPath: absolute).standardizedFileURL.path
    }

    /// Absolute, standardised form of the config file's own path.
    static func absolute(_ path: String) -> String {
        resolve(path, against: FileManager.default.currentDirectoryPath)
    }

    static func directory(of path: String) -> String {
        let absolute = absolute(path)
        guard let slash = absolute.lastIndex(of: "/") else { return "/" }
        return slash == absolute.startIndex ? "/" : String(absolute[..<slash])
    }
}

/// "Did you mean": the known key within a small edit distance, ignoring case.
enum KeySuggestion {
    /// What follows "no function named "x"" and the like: `; did you mean "y"?`, or `none` when nothing is known.
    static func hint(for name: String, among known: [String], none: String) -> String {
        closest(to: name, among: known).map { "; did you mean \"\($0)\"?" } ?? (known.isEmpty ? none : "")
    }

    static func closest(to key: String, among candidates: [String]) -> String? {
        let lowered = Array(key.lowercased())
        var best: (String, Int)?
        for candidate in candidates where candidate != key {
            let d = distance(lowered, Array(candidate.lowercased()))
            let limit = max(1, min(3, candidate.count / 3))
            if d <= limit, best == nil || d < best!.1 { best = (candidate, d) }
        }
        return best?.0
    }

    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
