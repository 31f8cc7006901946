import Foundation
import GatewayCore

/// Notices certificate and key files that changed on disk (renewals by certbot and the like), by comparing
/// size, modification time and inode; the runtime then reloads, and a broken new file keeps the old one.
struct CertificateFileWatcher {
    struct Stamp: Equatable {
        let size: Int64
        let modified: Int64
        let inode: UInt64
    }

    private(set) var stamps: [String: Stamp?] = [:]

    init(settings: TLSSettings?) {
        stamps = Self.stamps(for: settings)
    }

    /// True when any watched file changed since the last call (or the last `reset`).
    mutating func changed(settings: TLSSettings?) -> Bool {
        let current = Self.stamps(for: settings)
        defer { stamps = current }
        return current != stamps
    }

    static func stamps(for settings: TLSSettings?) -> [String: Stamp?] {
        var result: [String: Stamp?] = [:]
        for certificate in settings?.certificates ?? [] {
            for path in [certificate.certificatePath, certificate.keyPath] { result[path] = stamp(path) }
        }
        return result
    }

    static func stamp(_ path: String) -> Stamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        return Stamp(size: Int64(info.st_size), modified: modified, inode: UInt64(info.st_ino))
    }
}
