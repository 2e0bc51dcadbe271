import Foundation
import NIOConcurrencyHelpers
import Prometheus
import WardIdentity
import WardJSON

#if canImport(Glibc)
import Glibc
#endif

/// One access-log record: what happened to one request, and why.
public struct AccessLogEntry: Sendable {
    public var startedAt: Double
    public var peer: String?
    public var method: String
    /// The normalized path (what was authorized and forwarded), or the raw target when it was refused as invalid.
    public var path: String
    public var status: Int
    /// `allow`, `deny` or `invalid`.
    public var decision: String
    public var policy: String?
    public var rule: String?
    public var dryRun: [DryRunOutcome] = []
    /// Why the proxy answered itself (`bad_path`, `upstream_unavailable`, …), if it did.
    public var reason: String?
    public var durationSeconds: Double
    public var upstreamSeconds: Double?
    public var bytesIn: Int
    public var bytesOut: Int

    var json: JSONValue {
        var object: JSONObject = [
            "time": .string(AccessLog.timestamp(startedAt)),
            "peer": peer.map(JSONValue.string) ?? .null,
            "method": .string(method),
            "path": .string(path),
            "status": .int(Int64(status)),
            "decision": .string(decision),
            "policy": policy.map(JSONValue.string) ?? .null,
            "rule": rule.map(JSONValue.string) ?? .null,
        ]
        if !dryRun.isEmpty {
            object["dryRun"] = .array(
                dryRun.map {
                    [
                        "policy": .string($0.policy), "rule": $0.rule.map(JSONValue.string) ?? .null,
                        "decision": .string($0.allowed ? "allow" : "deny"),
                    ]
                })
        }
        if let reason { object["reason"] = .string(reason) }
        object["duration_us"] = .int(Int64((durationSeconds * 1e6).rounded()))
        if let upstreamSeconds { object["upstream_us"] = .int(Int64((upstreamSeconds * 1e6).rounded())) }
        object["bytes_in"] = .int(Int64(bytesIn))
        object["bytes_out"] = .int(Int64(bytesOut))
        return .object(object)
    }
}

/// Writes the decision/access log: one JSON line per request, to stdout or a file.
///
/// This is the product's output, so it is the one component below the CLI that writes. Lines are appended to an
/// in-memory buffer under a lock and written by a background thread, so an event loop never blocks on a slow
/// terminal or disk; a bounded buffer drops (and counts) lines rather than grow without limit.
public final class AccessLog: Sendable {
    private let fd: Int32
    private let ownsFD: Bool
    private let state = NIOLockedValueBox(State())
    private let wakeup = NSCondition()
    /// Bytes buffered before lines are dropped.
    private let maxBuffered: Int
    /// Counts dropped lines (`ward_access_log_dropped_lines_total`), so a log that cannot keep up is visible.
    private let droppedCounter: Counter?

    private struct State {
        var buffer: [UInt8] = []
        var dropped = 0
        var stopped = false
        var threadDone = false
    }

    /// Opens the target; `nil` for `.off`. Dropped lines are counted on `dropped`.
    public static func open(_ target: ProxyConfig.AccessLogTarget, dropped: Counter? = nil,
        maxBuffered: Int = 8 * 1024 * 1024) throws(ProxyError) -> AccessLog?
    {
        switch target {
        case .off: return nil
        case .stdout: return AccessLog(fd: 1, ownsFD: false, dropped: dropped, maxBuffered: maxBuffered)
        case .file(let path):
            let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw ProxyError("config.access_log", "accessLog: cannot open \(path): \(String(cString: strerror(errno)))")
            }
            return AccessLog(fd: fd, ownsFD: true, dropped: dropped, maxBuffered: maxBuffered)
        }
    }

    private init(fd: Int32, ownsFD: Bool, dropped: Counter?, maxBuffered: Int) {
        self.fd = fd
        self.ownsFD = ownsFD
        self.droppedCounter = dropped
        self.maxBuffered = maxBuffered
        let thread = Thread { [self] in run() }
        thread.name = "ward-access-log"
        thread.start()
    }

    /// Queues one record.
    public func write(_ entry: AccessLogEntry) {
        var line = Array(entry.json.serialized(.compact).utf8)
        line.append(UInt8(ascii: "\n"))
        let kept = state.withLockedValue { state in
            if state.buffer.count + line.count > maxBuffered {
                state.dropped += 1
                return false
            }
            state.buffer.append(contentsOf: line)
            return true
        }
        if !kept { droppedCounter?.increment() }
    }

    /// Lines dropped so far because the writer could not keep up.
    public var droppedLines: Int { state.withLockedValue { $0.dropped } }

    /// Writes out what is buffered and stops the writer thread.
    public func close() {
        state.withLockedValue { $0.stopped = true }
        wakeup.lock()
        wakeup.signal()
        wakeup.unlock()
        for _ in 0..<200 {
            if state.withLockedValue({ $0.threadDone }) { break }
            usleep(5000)
        }
        if ownsFD { Glibc.close(fd) }
    }

    private func run() {
        while true {
            wakeup.lock()
            _ = wakeup.wait(until: Date(timeIntervalSinceNow: 0.05))
            wakeup.unlock()
            let (chunk, stopped) = state.withLockedValue { state -> ([UInt8], Bool) in
                defer { state.buffer.removeAll(keepingCapacity: true) }
                return (state.buffer, state.stopped)
            }
            writeAll(chunk)
            if stopped {
                state.withLockedValue { $0.threadDone = true }
                return
            }
        }
    }

    private func writeAll(_ bytes: [UInt8]) {
        var offset = 0
        bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    /// RFC 3339 UTC with milliseconds (the shared `Timestamp`, cheap per request).
    static func timestamp(_ seconds: Double) -> String {
        Timestamp.format(epochSeconds: seconds, milliseconds: true)
    }
}
