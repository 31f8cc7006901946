/// What a queue accepts as a message body: SQS's rules, so a consumer written for SQS never meets a body SQS would
/// have refused. At most 256 KiB, at least one byte, UTF-8 text of the characters SQS allows (tab, LF, CR and
/// everything from U+0020 but the surrogates, U+FFFE and U+FFFF).
public enum MessageBody {
    public static let maxBytes = 256 * 1024

    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case empty
        case tooLarge
        case notText(offset: Int)

        public var description: String {
            switch self {
            case .empty: "a queue message must not be empty"
            case .tooLarge: "a queue message is limited to \(MessageBody.maxBytes) bytes"
            case .notText(let offset): "a queue message must be UTF-8 text of the characters SQS allows (byte \(offset) is not)"
            }
        }
    }

    public static func check(_ bytes: some Collection<UInt8>) -> Refusal? {
        guard !bytes.isEmpty else { return .empty }
        guard bytes.count <= maxBytes else { return .tooLarge }
        // Contiguous bytes (every body a route sends) are scanned in place, not through a generic iterator's call
        // per byte, which cost 6 % of a queue route's CPU.
        if let refusal = bytes.withContiguousStorageIfAvailable({ checkText($0) }) { return refusal }
        return decode(bytes, from: 0)
    }

    /// ASCII (most JSON) a byte at a time; from the first byte past it, UTF-8 decoding.
    private static func checkText(_ bytes: UnsafeBufferPointer<UInt8>) -> Refusal? {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 0x80 { return decode(UnsafeBufferPointer(rebasing: bytes[index...]), from: index) }
            guard byte >= 0x20 || byte == 0x9 || byte == 0xA || byte == 0xD else { return .notText(offset: index) }
            index += 1
        }
        return nil
    }

    /// The characters SQS allows, by scalar; `offset` is where `bytes` starts in the body.
    private static func decode(_ bytes: some Collection<UInt8>, from offset: Int) -> Refusal? {
        var offset = offset
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                let value = scalar.value
                let allowed = value == 0x9 || value == 0xA || value == 0xD || (value >= 0x20 && value != 0xFFFE && value != 0xFFFF)
                guard allowed else { return .notText(offset: offset) }
                offset += UTF8.width(scalar)
            case .emptyInput:
                return nil
            case .error:
                return .notText(offset: offset)
            }
        }
    }
}
