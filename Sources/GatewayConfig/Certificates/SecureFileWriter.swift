#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file atomically with a chosen mode, so a private key is never briefly world-readable on disk.
enum SecureFileWriter {
    /// Creates a temporary file with `mode` (O_EXCL, never following a planted file), writes, then renames over `path`.
    static func write(_ text: String, to path: String, mode: mode_t) throws {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else { throw failure(path) }
        // fchmod: the umask may have narrowed a public file's mode.
        var problem: DevCertificateError? = fchmod(fd, mode) == 0 ? nil : failure(path)
        var bytes = Array(text.utf8)[...]
        while problem == nil, !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { posixWrite(fd, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            if written <= 0 { problem = failure(path) } else { bytes = bytes.dropFirst(written) }
        }
        if problem == nil, fsync(fd) != 0 { problem = failure(path) }
        close(fd)
        if problem == nil, rename(temporary, path) != 0 { problem = failure(path) }
        if let problem {
            unlink(temporary)
            throw problem
        }
    }

    private static func failure(_ path: String) -> DevCertificateError {
        .writeFailed(path: path, reason: String(cString: strerror(errno)))
    }
}

/// `write` would resolve to the enclosing type's static method inside `SecureFileWriter`.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, buffer, count)
}
