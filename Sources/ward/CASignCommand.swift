import ArgumentParser
import Foundation
import WardIdentity
import WardJSON

/// `ward ca sign`: issue an X.509-SVID from a PKCS#10 request, so the workload's key never leaves it.
struct CASignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Issue an X.509-SVID for the key in a CSR. The identity comes from --spiffe-id, never the CSR.")

    @OptionGroup var directory: CADirectoryOptions

    @Option(help: "The PKCS#10 request (PEM or DER).")
    var csr: String

    @Option(help: "The SPIFFE ID to issue for.")
    var spiffeID: String

    @Option(help: "SVID lifetime, e.g. 1h.")
    var ttl: String = "1h"

    @Option(help: "A DNS name to add as a subjectAltName (repeatable).")
    var dns: [String] = []

    @Option(help: "Write the chain (leaf then intermediates) here instead of stdout.")
    var out: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        try CLI.run(json: json) {
            let id = try CAFlags.spiffeID(spiffeID, flag: "--spiffe-id")
            let ttl = try CAFlags.ttl(self.ttl)
            let dnsNames = try CAFlags.dnsNames(dns)
            let request = try CertificateRequest(contentsOfFile: csr)
            let ca = try CertificateAuthority.load(directory: directory.dir)
            guard id.trustDomain == ca.trustDomain, id.isWorkload else {
                throw CLIError(
                    "--spiffe-id: \(id) must be a workload ID in the CA's trust domain \(ca.trustDomain)",
                    code: IdentityError.Code.invalidSpiffeID.rawValue)
            }
            let svid: X509SVID
            do {
                svid = try CAFlags.prefixingTTL { () throws(IdentityError) in
                    try ca.sign(request, id: id, ttl: ttl, dnsNames: dnsNames)
                }
            } catch let error as IdentityError where error.code == .badRequestSignature || error.code == .unsupportedKey {
                throw CLIError("--csr \(csr): \(error.message)", code: error.code.rawValue)
            }
            if let out { try CLIFile.write(svid.chainPEM, to: out) }
            try CALayout(directory: directory.dir).issuanceLog.append(.init(svid: svid, method: "csr"))
            if json {
                var object = SVIDFormatting.json(svid.leaf).objectValue ?? [:]
                if let out { object["file"] = .string(out) } else { object["chain_pem"] = .string(svid.chainPEM) }
                CLI.printJSON(.object(object))
            } else if let out {
                print("Issued \(svid.id) from \(csr)")
                SVIDFormatting.printSummary(svid.leaf)
                print("  wrote        \(out)")
            } else {
                print(svid.chainPEM, terminator: "")
            }
        }
    }
}
