import Crypto
import SwiftASN1
import X509

/// The algorithm and size of a certificate's key, so the loader can refuse keys the TLS stack or clients reject.
enum CertificateKeyKind: Equatable, CustomStringConvertible {
    case rsa(bits: Int)
    case ecdsaP256
    case ecdsaP384
    case unsupported(String)

    init(_ key: Certificate.PublicKey) {
        if P256.Signing.PublicKey(key) != nil {
            self = .ecdsaP256
        } else if P384.Signing.PublicKey(key) != nil {
            self = .ecdsaP384
        } else if P521.Signing.PublicKey(key) != nil {
            self = .unsupported("ECDSA P-521")
        } else if Curve25519.Signing.PublicKey(key) != nil {
            self = .unsupported("Ed25519")
        } else if let bits = CertificateKeyKind.rsaModulusBits(key.subjectPublicKeyInfoBytes) {
            self = .rsa(bits: bits)
        } else {
            self = .unsupported(key.description)
        }
    }

    /// Nil when the key is acceptable, else why not.
    var rejection: String? {
        switch self {
        case .ecdsaP256, .ecdsaP384: return nil
        case .rsa(let bits) where bits >= 2048: return nil
        case .rsa(let bits): return "RSA key of \(bits) bits is too small (need 2048 or more)"
        case .unsupported(let name): return "unsupported key type \(name) (use RSA 2048+ or ECDSA P-256/P-384)"
        }
    }

    var description: String {
        switch self {
        case .rsa(let bits): return "RSA \(bits)"
        case .ecdsaP256: return "ECDSA P-256"
        case .ecdsaP384: return "ECDSA P-384"
        case .unsupported(let name): return name
        }
    }

    /// `subjectPublicKeyInfoBytes` is the key's BIT STRING content: for RSA, RSAPublicKey ::= SEQUENCE { modulus, exponent }.
    static func rsaModulusBits(_ keyBytes: ArraySlice<UInt8>) -> Int? {
        guard let rsa = try? DER.parse(keyBytes), case .constructed(let parts) = rsa.content,
              let modulus = parts.first(where: { _ in true }), modulus.identifier == .integer,
              case .primitive(let bytes) = modulus.content else { return nil }
        let trimmed = bytes.drop(while: { $0 == 0 })
        guard let first = trimmed.first else { return nil }
        return (trimmed.count - 1) * 8 + (8 - first.leadingZeroBitCount)
    }
}
