/// RFC 9110 `token` characters: what header names, methods and chunk extensions are made of.
/// `@inlinable` so the upstream parsers' per-byte calls stay a table-free switch across the module boundary.
public enum HTTPToken {
    @inlinable
    public static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case 48...57, 65...90, 97...122: return true
        case 33, 35, 36, 37, 38, 39, 42, 43, 45, 46, 94, 95, 96, 124, 126: return true
        default: return false
        }
    }

    /// A whole token: not empty, every byte a token character.
    public static func isToken(_ s: some StringProtocol) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy(isTokenByte)
    }
}
