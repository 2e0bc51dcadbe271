import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// File reads and atomic writes with errors that name the file. Keys and certificates are small, so whole-file
/// reads are fine; a size cap keeps a wrong path (a device, a huge file) from hanging or exhausting memory.
enum FileIO {
    static let maxFileSize = 16 * 1024 * 1024

    /// Reads a whole regular file. `what` ("certificate", "private key") goes into the error.
    static func read(_ path: String, what: String) throws(IdentityError) -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw IdentityError(.unreadableFile, "\(path): cannot read \(what): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw IdentityError(.unreadableFile, "\(path): cannot read \(what): not a regular file")
        }
        guard Int(info.st_size) <= maxFileSize else {
            throw IdentityError(.unreadableFile, "\(path): cannot read \(what): larger than 16 MiB")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IdentityError(.unreadableFile, "\(path): cannot read \(what): permission denied or I/O error")
        }
        return Array(data)
    }

    /// Writes `bytes` to a temporary file in the same directory (created with `mode`), fsyncs it and renames it
    /// over `path`, so readers see the old file or the new one, never half of one.
    static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(IdentityError) {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temp = (directory.isEmpty ? "" : directory + "/") + ".\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw IdentityError(.writeFailed, "\(path): cannot write: \(String(cString: strerror(errno)))")
        }
        var ok = fchmod(fd, mode) == 0
        var written = 0
        while ok && written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { ok = false } else { written += n }
        }
        let savedErrno = errno
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(temp, path) == 0 else {
            let reason = String(cString: strerror(ok ? errno : savedErrno))
            unlink(temp)
            throw IdentityError(.writeFailed, "\(path): cannot write: \(reason)")
        }
    }

    static func writeAtomically(_ text: String, to path: String, mode: mode_t = 0o644) throws(IdentityError) {
        try writeAtomically(Array(text.utf8), to: path, mode: mode)
    }

    /// Creates `path` and its parents (mode 0755, or `mode` for the last component).
    static func makeDirectory(_ path: String, mode: Int = 0o755) throws(IdentityError) {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
        } catch {
            throw IdentityError(.writeFailed, "\(path): cannot create directory: \(error.localizedDescription)")
        }
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}

/// Atomic file writes for callers outside the module (the CLI): temporary name in the same directory, fsync,
/// rename. A reader sees the old file or the new one, never a half-written one.
public enum AtomicFile {
    public static func write(_ text: String, to path: String, mode: UInt32 = 0o644) throws(IdentityError) {
        try FileIO.writeAtomically(Array(text.utf8), to: path, mode: mode_t(mode))
    }
}
