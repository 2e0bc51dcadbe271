import Foundation
import Testing
import WardJSON

@testable import WardProxy

@Suite("AccessLog")
struct AccessLogTests {
    @Test func timestampsAreRFC3339UTCWithMilliseconds() {
        #expect(AccessLog.timestamp(0) == "1970-01-01T00:00:00.000Z")
        #expect(AccessLog.timestamp(1_764_199_000.123) == "2025-11-26T23:16:40.123Z")
    }

    @Test func writesOneJSONLinePerRequestToAFile() throws {
        let path = NSTemporaryDirectory() + "ward-access-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let log = try #require(try AccessLog.open(.file(path)))
        for status in [200, 403] {
            log.write(
                AccessLogEntry(
                    startedAt: 1, peer: "spiffe://example.org/a", method: "GET", path: "/x", status: status,
                    decision: status == 200 ? "allow" : "deny", policy: "p", rule: "r",
                    dryRun: [DryRunOutcome(allowed: false, policy: "d", rule: "dr")], reason: nil,
                    durationSeconds: 0.0012, upstreamSeconds: 0.0005, bytesIn: 1, bytesOut: 2))
        }
        log.close()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let first = try JSONValue.parse(String(lines[0]))
        #expect(first["status"] == .int(200))
        #expect(first["rule"] == .string("r"))
        #expect(first["duration_us"] == .int(1200))
        #expect(first["dryRun"]?.arrayValue?.first?["decision"] == .string("deny"))
    }

    @Test func linesBeyondTheBufferAreDroppedAndCounted() throws {
        // A pipe nobody reads: the writer thread blocks once the pipe is full, the 4 KiB buffer fills, and the
        // rest is dropped (never an unbounded buffer, never a blocked event loop), each drop counted.
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        // The read end stays open (and unread) for the life of the test process: closing it would turn the blocked
        // writer's next write into SIGPIPE.
        let metrics = ProxyMetrics()
        let log = try #require(try AccessLog.open(.file("/dev/fd/\(fds[1])"), dropped: metrics.accessLogDropped, maxBuffered: 4096))
        close(fds[1])
        let entry = AccessLogEntry(
            startedAt: 1, peer: "spiffe://example.org/a", method: "GET", path: "/" + String(repeating: "x", count: 400),
            status: 200, decision: "allow", policy: "p", rule: "r", dryRun: [], reason: nil, durationSeconds: 0,
            upstreamSeconds: nil, bytesIn: 0, bytesOut: 0)
        for _ in 0..<2000 { log.write(entry) }  // ~1 MiB: more than the pipe (64 KiB) and the buffer hold
        #expect(log.droppedLines > 0)
        let text = metrics.registry.emitToString()
        let line = text.split(separator: "\n").first { $0.hasPrefix("ward_access_log_dropped_lines_total ") }
        #expect(line.flatMap { Int($0.split(separator: " ").last ?? "") } == log.droppedLines)
    }
}
