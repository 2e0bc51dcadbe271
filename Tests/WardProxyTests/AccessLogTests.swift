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
}
