/// Writes JSON text into bytes as it goes, placing commas itself: events are built field by field, with no
/// intermediate tree to encode.
struct JSONWriter {
    var bytes: [UInt8] = []
    /// Per open container: whether a value was written in it yet (the next one needs a comma).
    private var started: [Bool] = []
    /// A key was just written: its value follows without a comma.
    private var afterKey = false

    init() {
        bytes.reserveCapacity(1024)
    }

    private mutating func separate() {
        if afterKey {
            afterKey = false
            return
        }
        if let last = started.last {
            if last { bytes.append(UInt8(ascii: ",")) }
            started[started.count - 1] = true
        }
    }

    mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        started.append(false)
    }

    mutating func endObject() {
        started.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        started.append(false)
    }

    mutating func endArray() {
        started.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func key(_ name: some StringProtocol) {
        separate()
        JSONEscaping.appendQuoted(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    mutating func string(_ value: some StringProtocol) {
        separate()
        JSONEscaping.appendQuoted(value, to: &bytes)
    }

    mutating func integer(_ value: Int64) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
    }

    /// A string holding `bytes` in base64 (a binary body).
    mutating func base64String(_ value: some Collection<UInt8>) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        Base64.encode(value, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }
}
