/// Why `portcullis certs dev` could not issue a certificate; each case reads as a one-line CLI error.
public enum DevCertificateError: Error, Sendable, Equatable, CustomStringConvertible {
    case noNames
    case invalidName(String, reason: String)
    /// One of the CA's two files exists without the other; refusing beats silently replacing a trusted CA.
    case incompleteCA(present: String, missing: String)
    case unreadableCA(path: String, reason: String)
    case caKeyMismatch(certificatePath: String, keyPath: String)
    case caExpired(path: String, notAfter: String)
    case signingFailed(reason: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .noNames:
            return "give at least one name (a DNS name, *.wildcard or IP address)"
        case .invalidName(let name, let reason):
            return "invalid name \"\(name)\": \(reason)"
        case .incompleteCA(let present, let missing):
            return "\(present) exists but \(missing) does not; restore it or remove both to create a new CA"
        case .unreadableCA(let path, let reason):
            return "cannot use the development CA \(path): \(reason)"
        case .caKeyMismatch(let certificatePath, let keyPath):
            return "\(keyPath) is not the key of \(certificatePath)"
        case .caExpired(let path, let notAfter):
            return "the development CA \(path) expired at \(notAfter); delete its .crt and .key to create a new one"
        case .signingFailed(let reason):
            return "cannot build the certificate: \(reason)"
        case .writeFailed(let path, let reason):
            return "cannot write \(path): \(reason)"
        }
    }
}
