import Foundation

/// What a finished program printed and returned.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs real programs (curl, openssl, python3, the built `ward`) for tests.
public enum TestProcess {
    /// Runs `program` (absolute path, or a name looked up on PATH) and waits for it. With `timeout`, the program
    /// is killed after that many seconds (its status is then the signal's).
    @discardableResult
    public static func run(
        _ program: String, _ args: [String], cwd: String? = nil, stdin: Data? = nil, env: [String: String] = [:],
        timeout: Double? = nil
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
        if let timeout {
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { kill(pid, SIGKILL) }
        }
        // Feed stdin and read both pipes concurrently so a chatty child never blocks on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = errPipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            if let stdin { try? inPipe.fileHandleForWriting.write(contentsOf: stdin) }
            try? inPipe.fileHandleForWriting.close()
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

    /// Runs a Python 3 script given as text.
    @discardableResult
    public static func python(_ script: String, _ args: [String] = [], timeout: Double? = 120) throws -> ProcessResult {
        try run("python3", ["-c", script] + args, timeout: timeout)
    }

    /// A fresh temporary directory.
    public static func temporaryDirectory(_ prefix: String = "ward-test") throws -> String {
        let path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
