import Foundation

/// Runs the built `ward` binary (and other real programs) for end-to-end tests.
struct ProcessResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
}

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
        let process = Process()
        if program.hasPrefix("/") || program.hasPrefix(".") {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = args
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [program] + args
        }
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        var environment = ProcessInfo.processInfo.environment
        environment.merge(env) { $1 }
        process.environment = environment
        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        try process.run()
        if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? inPipe.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty child never blocks on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = errPipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ProcessResult(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self)
        )
    }

    /// A fresh temporary directory, removed by the caller with `cleanup`.
    static func temporaryDirectory(_ prefix: String = "ward-test") throws -> String {
        let path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
