import Foundation
import GatewayCore

/// Notices certificate and key files that changed on disk (renewals by certbot and the like), by comparing
/// size, modification time and inode with the files as they were when the running certificates were loaded.
///
/// Only a successful reload moves that reference forward: after a failed one (say, a key file caught half
/// written) the files still differ from it, so the next check tries again and a file completed meanwhile,
/// even during the failed reload itself, is picked up.
struct CertificateFileWatcher {
    typealias Stamps = [String: Stamp?]

    struct Stamp: Equatable {
        let size: Int64
        let modified: Int64
        let inode: UInt64
    }

    /// The files as they were just before the running certificates were read.
    private(set) var loaded: Stamps

    init(settings: TLSSettings?) {
        loaded = Self.stamps(for: settings)
    }

    /// The files' current stamps when they differ from the loaded ones (a reload is due), else nil. Take them
    /// before reloading and hand them to `reloaded` afterwards, so a write during the reload is not missed.
    func pendingChange(settings: TLSSettings?) -> Stamps? {
        let current = Self.stamps(for: settings)
        return current == loaded ? nil : current
    }

    /// A reload that started when the files were `before` succeeded; `settings` are the new snapshot's. If it
    /// watches other paths now, those are stamped as they are.
    mutating func reloaded(before: Stamps, settings: TLSSettings?) {
        let paths = Set(Self.paths(of: settings))
        loaded = Set(before.keys) == paths ? before : Self.stamps(for: settings)
    }

    static func paths(of settings: TLSSettings?) -> [String] {
        (settings?.certificates ?? []).flatMap { [$0.certificatePath, $0.keyPath] }
    }

    static func stamps(for settings: TLSSettings?) -> Stamps {
        var result: Stamps = [:]
        for path in paths(of: settings) { result[path] = stamp(path) }
        return result
    }

    static func stamp(_ path: String) -> Stamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        return Stamp(size: Int64(info.st_size), modified: modified, inode: UInt64(info.st_ino))
    }
}
