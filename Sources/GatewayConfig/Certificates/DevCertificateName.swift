import GatewayCore
import SwiftASN1
import X509

/// One NAME argument of `portcullis certs dev`, validated and turned into the SAN it becomes.
struct DevCertificateName: Equatable {
    enum Kind: Equatable {
        case dns(String)
        case ip(IPAddress)
    }

    let kind: Kind

    /// Accepts IPv4/IPv6 addresses, DNS names (letters, digits, hyphens) and "*.name.tld" wildcards.
    init(_ text: String) throws {
        if let ip = IPAddress(text) {
            kind = .ip(ip)
            return
        }
        var name = text.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        var labels = name.split(separator: ".", omittingEmptySubsequences: false)
        if labels.first == "*" {
            labels.removeFirst()
            guard labels.count >= 2 else {
                throw DevCertificateError.invalidName(text, reason: "a wildcard needs at least two labels after \"*.\"")
            }
        }
        guard !labels.isEmpty, name.utf8.count <= 253 else {
            throw DevCertificateError.invalidName(text, reason: "not a DNS name")
        }
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63,
                  label.utf8.allSatisfy({ $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") }),
                  label.first != "-", label.last != "-" else {
                throw DevCertificateError.invalidName(
                    text, reason: "labels are 1-63 letters, digits or inner hyphens; \"*\" only as the whole first label")
            }
        }
        kind = .dns(name)
    }

    var generalName: GeneralName {
        switch kind {
        case .dns(let name):
            return .dnsName(name)
        case .ip(let ip):
            let bytes = ip.bytes
            return .ipAddress(ASN1OctetString(contentBytes: ip.isIPv4 ? bytes[12...] : bytes[...]))
        }
    }

    var text: String {
        switch kind {
        case .dns(let name): return name
        case .ip(let ip): return ip.description
        }
    }

    /// The file name stem: "*.x.test" becomes "_wildcard.x.test" and ":" (IPv6) becomes "_" so names stay portable.
    var fileStem: String {
        var stem = text
        if stem.hasPrefix("*.") { stem = "_wildcard" + stem.dropFirst(1) }
        return stem.replacingOccurrences(of: ":", with: "_")
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}
