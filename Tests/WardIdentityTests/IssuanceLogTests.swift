import Foundation
import Testing

@testable import WardIdentity

@Suite("Issuance log")
struct IssuanceLogTests {
    @Test func concurrentWritersLoseAndCorruptNothing() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(dir) }
        let ca = try CertificateAuthority.createRoot(trustDomain: TrustDomain("example.org"), ttl: TTL(parsing: "24h"))
        let key = try PrivateKey(generating: .ecP256)
        let chain = try ca.issue(id: SpiffeID("spiffe://example.org/w"), publicKey: key.publicKey, ttl: TTL(parsing: "1h"))
        let svid = try X509SVID(chain: chain, privateKey: key)
        let path = "\(dir)/issuance.log"
        let writers = 16, perWriter = 50
        // One OS thread per writer (the concurrency pool would run only a couple at a time); each opens the file
        // itself (its own open file description), as separate processes would.
        let failures = LockedCounter()
        let done = DispatchSemaphore(value: 0)
        for writer in 0..<writers {
            let thread = Thread {
                for index in 0..<perWriter {
                    var record = IssuanceLog.Record(svid: svid, method: "test")
                    record.spiffeID = "spiffe://example.org/writer\(writer)/n\(index)"
                    record.dnsNames = [String(repeating: "x", count: 3000)]  // lines longer than PIPE_BUF
                    do { try IssuanceLog(path: path).append(record) } catch { failures.increment() }
                }
                done.signal()
            }
            thread.start()
        }
        for _ in 0..<writers { done.wait() }
        #expect(failures.value == 0)
        let records = try IssuanceLog(path: path).records()
        #expect(records.count == writers * perWriter)
        #expect(Set(records.map(\.spiffeID)).count == writers * perWriter)
        #expect(records.allSatisfy { $0.serial == svid.leaf.serialHex && $0.dnsNames[0].count == 3000 })
    }

    @Test func recordsRoundTrip() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(dir) }
        let ca = try CertificateAuthority.createRoot(trustDomain: TrustDomain("example.org"), ttl: TTL(parsing: "24h"))
        let svid = try ca.issueSVID(id: SpiffeID("spiffe://example.org/w"), ttl: TTL(parsing: "1h"), dnsNames: ["w.local"])
        let log = IssuanceLog(path: "\(dir)/log")
        try log.append(.init(svid: svid, method: "generated-key"))
        let record = try #require(try log.records().first)
        #expect(record.spiffeID == "spiffe://example.org/w" && record.serial == svid.leaf.serialHex)
        #expect(record.notAfter == svid.leaf.notAfter && record.dnsNames == ["w.local"])
        let text = String(decoding: try TestSupport.read("\(dir)/log"), as: UTF8.self)
        #expect(!text.contains("PRIVATE"))
        #expect(text.split(separator: "\n").count == 1)
    }
}

/// A thread-safe counter for the writer threads.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
