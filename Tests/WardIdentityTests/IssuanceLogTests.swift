import Foundation
import Testing

@testable import WardIdentity

@Suite("Issuance log")
struct IssuanceLogTests {
    @Test func concurrentWritersLoseAndCorruptNothing() async throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.remove(dir) }
        let ca = try CertificateAuthority.createRoot(trustDomain: TrustDomain("example.org"), ttl: TTL(parsing: "24h"))
        let key = try PrivateKey(generating: .ecP256)
        let chain = try ca.issue(id: SpiffeID("spiffe://example.org/w"), publicKey: key.publicKey, ttl: TTL(parsing: "1h"))
        let svid = try X509SVID(chain: chain, privateKey: key)
        let path = "\(dir)/issuance.log"
        let writers = 16, perWriter = 50
        // Each writer opens the file itself (its own open file description), as separate processes would.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for index in 0..<perWriter {
                        var record = IssuanceLog.Record(svid: svid, method: "test")
                        record.spiffeID = "spiffe://example.org/writer\(writer)/n\(index)"
                        record.dnsNames = [String(repeating: "x", count: 3000)]  // > PIPE_BUF-sized lines
                        try IssuanceLog(path: path).append(record)
                    }
                }
            }
            try await group.waitForAll()
        }
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
