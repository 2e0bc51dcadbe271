import Foundation
import WardTestSupport

typealias ProcessResult = WardTestSupport.ProcessResult

/// Runs the built `ward` binary (and other real programs) for end-to-end tests.
enum WardProcess {
    /// The `ward` executable next to this test bundle, or `$WARD_BIN`.
    static var wardPath: String {
        if let env = ProcessInfo.processInfo.environment["WARD_BIN"] { return env }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // The test runner lives in `<scratch>/debug/WardPackageTests.xctest` (or `.../debug/`).
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("ward").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return ".build/debug/ward"
    }

    /// Runs `ward args...` and waits for it.
    @discardableResult
    static func ward(_ args: [String], cwd: String? = nil, stdin: String? = nil, env: [String: String] = [:])
        throws -> ProcessResult
    {
        try run(wardPath, args, cwd: cwd, stdin: stdin, env: env)
    }

    /// Runs any program (absolute path or a name looked up on PATH) and waits for it.
    @discardableResult
    static func run(
        _ program: String, _ args: [String], cwd: String? = nil, stdin: String? = nil, env: [String: String] = [:]
    ) throws -> ProcessResult {
        try TestProcess.run(program, args, cwd: cwd, stdin: stdin.map { Data($0.utf8) }, env: env)
    }

    /// A fresh temporary directory.
    static func temporaryDirectory(_ prefix: String = "ward-test") throws -> String {
        try TestProcess.temporaryDirectory(prefix)
    }
}
