import ArgumentParser
import Foundation
import WardIdentity
import WardJSON

/// `ward ca issue`: generate a key and an X.509-SVID for a SPIFFE ID.
struct CAIssueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue", abstract: "Issue an X.509-SVID (new key + certificate) for a SPIFFE ID.")

    @OptionGroup var directory: CADirectoryOptions

    @Argument(help: "The workload's SPIFFE ID, e.g. spiffe://example.org/ns/prod/sa/web.")
    var spiffeID: String

    @Option(help: "SVID lifetime, e.g. 1h.")
    var ttl: String = "1h"

    @Option(help: "A DNS name to add as a subjectAltName (repeatable).")
    var dns: [String] = []

    @Option(help: "Key type: ec-p256, ec-p384, rsa-2048, rsa-3072 or ed25519.")
    var keyType: String = KeyType.default.rawValue

    @Option(help: "Output directory (default: <dir>/<last path segment of the ID>).")
    var out: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        try CLI.run(json: json) {
            let id = try CAFlags.spiffeID(spiffeID, flag: "SPIFFE_ID")
            let ttl = try CAFlags.ttl(self.ttl)
            let keyType = try CAFlags.keyType(self.keyType)
            let dnsNames = try CAFlags.dnsNames(dns)
            let ca = try CertificateAuthority.load(directory: directory.dir)
            guard id.isWorkload else {
                throw CLIError("SPIFFE_ID: \(id) has no path; an SVID needs a workload ID like \(id)/ns/app")
            }
            guard id.trustDomain == ca.trustDomain else {
                throw CLIError(
                    "SPIFFE_ID: \(id) is not in the CA's trust domain \(ca.trustDomain) (CA in \(directory.dir))",
                    code: IdentityError.Code.invalidSpiffeID.rawValue)
            }
            let outDir = out ?? (directory.dir + "/" + String(id.segments.last ?? "svid"))
            if out == nil && id.segments.last == "ca" {
                throw CLIError("SPIFFE_ID: its last segment is \"ca\", which would write into the CA directory; pass --out")
            }
            let svid = try CAFlags.prefixingTTL { () throws(IdentityError) in
                try ca.issueSVID(id: id, keyType: keyType, ttl: ttl, dnsNames: dnsNames)
            }
            let files = try SVIDFiles.write(svid, to: outDir, bundle: ca.authorities)
            try CALayout(directory: directory.dir).issuanceLog.append(.init(svid: svid, method: "generated-key"))
            if json {
                var object = SVIDFormatting.json(svid.leaf).objectValue ?? [:]
                object["files"] = [
                    "certificate": .string(files.certificate), "key": .string(files.key!),
                    "bundle": .string(files.bundle),
                ]
                CLI.printJSON(.object(object))
            } else {
                print("Issued \(svid.id)")
                SVIDFormatting.printSummary(svid.leaf)
                print("  wrote        \(files.certificate), \(files.key!) (mode 0600), \(files.bundle)")
            }
        }
    }
}

/// Writing an SVID's files atomically.
enum SVIDFiles {
    static func write(_ svid: X509SVID, to directory: String, bundle: [Certificate]) throws
        -> (certificate: String, key: String?, bundle: String)
    {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CLIError("--out \(directory): cannot create directory: \(error.localizedDescription)")
        }
        let certificate = directory + "/svid.pem", key = directory + "/svid.key", bundleFile = directory + "/bundle.pem"
        if let privateKey = svid.privateKey { try privateKey.write(toFile: key) }
        try CLIFile.write(svid.chainPEM, to: certificate)
        try CLIFile.write(Certificate.pem(bundle), to: bundleFile)
        return (certificate, svid.privateKey == nil ? nil : key, bundleFile)
    }
}

/// Atomic writes for CLI outputs.
enum CLIFile {
    static func write(_ text: String, to path: String) throws {
        try AtomicFile.write(text, to: path)
    }
}
