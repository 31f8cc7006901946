import GatewayCore
import SwiftASN1
import X509

/// The host names a leaf certificate is for, in the form `CertificateLoader.covers` matches against.
enum CertificateNames {
    /// dNSName SANs lowercased, iPAddress SANs as text; the subject CN only when there is no SAN at all (RFC 6125 6.4.4).
    static func of(_ certificate: Certificate) -> [String] {
        var names: [String] = []
        func add(_ name: String) { if !names.contains(name) { names.append(name) } }
        if let sans = try? certificate.extensions.subjectAlternativeNames {
            for san in sans {
                switch san {
                case .dnsName(let name): add(name.lowercased())
                case .ipAddress(let octets): if let text = ipText(octets.bytes) { add(text) }
                default: break
                }
            }
        }
        if names.isEmpty {
            for rdn in certificate.subject {
                for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                    if let cn = String(attribute.value) { add(cn.lowercased()) }
                }
            }
        }
        return names
    }

    /// 4 or 16 octets as IPv4 / RFC 5952 IPv6 text; anything else (e.g. a name-constraint range) is not a host.
    static func ipText(_ octets: ArraySlice<UInt8>) -> String? {
        let b = Array(octets)
        switch b.count {
        case 4: return IPAddress(ipv4: (b[0], b[1], b[2], b[3])).description
        case 16: return IPAddress(ipv6: b).description
        default: return nil
        }
    }
}
