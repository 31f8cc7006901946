import Crypto

/// Checks an admin call's `Authorization` header against the configured bearer token.
///
/// The scheme is matched case-insensitively with one or more spaces before the credentials (RFC 9110 §11.1,
/// RFC 6750 §2.1). Both tokens are hashed with SHA-256 and the fixed-length digests compared without an early
/// exit, so neither a matching prefix nor a length difference shows in the response time.
enum AdminAuthorization {
    static func isAuthorized(header: String?, token: String) -> Bool {
        let presented = header.flatMap(bearerCredentials) ?? []
        // Hashed even when the header is absent or not Bearer: every refusal costs the same work.
        return digestsEqual(Array(SHA256.hash(data: presented)), Array(SHA256.hash(data: Array(token.utf8))))
    }

    /// The credentials of a `Bearer` authorization ("bearer  abc" → "abc"), or nil for any other scheme or form.
    static func bearerCredentials(_ header: String) -> [UInt8]? {
        var bytes = Array(header.utf8)[...]
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        let scheme = Array("bearer".utf8)
        guard bytes.count > scheme.count,
              zip(bytes.prefix(scheme.count), scheme).allSatisfy({ $0 | 0x20 == $1 }) else { return nil }
        var credentials = bytes.dropFirst(scheme.count)
        guard credentials.first == 0x20 else { return nil }
        while credentials.first == 0x20 { credentials.removeFirst() }
        return Array(credentials)
    }

    /// Equal-length digests compared by OR-ing every byte difference: the time does not depend on where they differ.
    static func digestsEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        precondition(a.count == b.count, "digests have a fixed length")
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
