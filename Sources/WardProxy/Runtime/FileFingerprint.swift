import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A cheap summary of the files a proxy loads (inode, size, modification time), compared on each poll to notice
/// changes without re-reading them. Atomic replacement (write + rename) changes the inode, in-place edits the
/// size or time.
enum FileFingerprint {
    static func of(_ config: ProxyConfig) -> [String] {
        var paths = config.watchedFiles
        if let directory = config.policyDirectory {
            paths.append(directory)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            paths += names.filter { $0.hasSuffix(".json") }.sorted().map { directory + "/" + $0 }
        }
        return paths.map { path in
            var info = stat()
            guard stat(path, &info) == 0 else { return "\(path):missing" }
            return "\(path):\(info.st_ino):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }
    }
}
