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
        var offset = 0
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
