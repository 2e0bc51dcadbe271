import ArgumentParser
import Foundation
import WardIdentity
import WardJSON

/// `ward ca bench` (hidden): in-process issuance rate, for bench/issuance/run.sh. Uses a throwaway in-memory CA
/// and writes nothing.
struct CABenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure issuance rate (for bench/issuance).", shouldDisplay: false)

    @Option(help: "SVIDs to issue per mode.")
    var count: Int = 2000

    @Option(help: "Key type of the CA and the SVIDs.")
    var keyType: String = KeyType.default.rawValue

    func run() throws {
        try CLI.run(json: true) {
            let keyType = try CAFlags.keyType(self.keyType)
            guard count > 0 else { throw CLIError("--count: expected a positive number") }
            let ca = try CertificateAuthority.createRoot(
                trustDomain: try TrustDomain("bench.example"), keyType: keyType, ttl: try TTL(parsing: "24h"))
            let id = try SpiffeID("spiffe://bench.example/ns/bench/sa/app")
            let ttl = try TTL(parsing: "1h")
            let fixedKey = try PrivateKey(generating: keyType)

            for _ in 0..<min(100, count) {  // warm up
                _ = try ca.issueSVID(id: id, keyType: keyType, ttl: ttl, dnsNames: ["app.bench.example"])
            }
            let start1 = DispatchTime.now()
            for _ in 0..<count {
                _ = try ca.issue(id: id, publicKey: fixedKey.publicKey, ttl: ttl, dnsNames: ["app.bench.example"])
            }
            let signOnly = Double(DispatchTime.now().uptimeNanoseconds - start1.uptimeNanoseconds) / 1e9

            let start2 = DispatchTime.now()
            for _ in 0..<count {
                _ = try ca.issueSVID(id: id, keyType: keyType, ttl: ttl, dnsNames: ["app.bench.example"])
            }
            let withKey = Double(DispatchTime.now().uptimeNanoseconds - start2.uptimeNanoseconds) / 1e9

            CLI.printJSON([
                "key_type": .string(keyType.rawValue), "count": .int(Int64(count)),
                "issue_per_second": .double((Double(count) / signOnly).rounded()),
                "issue_with_keygen_per_second": .double((Double(count) / withKey).rounded()),
            ])
        }
    }
}
