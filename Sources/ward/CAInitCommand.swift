import ArgumentParser
import Foundation
import WardIdentity
import WardJSON

/// `ward ca init`: create a root CA, or an intermediate signed by an upstream root.
struct CAInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a CA for a trust domain (a self-signed root, or an intermediate under --upstream-cert).")

    @OptionGroup var directory: CADirectoryOptions

    @Option(help: "The trust domain, e.g. example.org.")
    var trustDomain: String

    @Option(help: "Key type: ec-p256, ec-p384, rsa-2048, rsa-3072 or ed25519.")
    var keyType: String = KeyType.default.rawValue

    @Option(help: "CA lifetime, e.g. 8760h.")
    var ttl: String = "8760h"

    @Option(help: "Upstream (root) CA certificate PEM; makes this CA an intermediate signed by it.")
    var upstreamCert: String?

    @Option(help: "Private key of --upstream-cert (PEM).")
    var upstreamKey: String?

    @Flag(help: "Replace an existing CA in --dir.")
    var force = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        try CLI.run(json: json) {
            let trustDomain = try CAFlags.trustDomain(self.trustDomain)
            let keyType = try CAFlags.keyType(self.keyType)
            let ttl = try CAFlags.ttl(self.ttl)
            let layout = CALayout(directory: directory.dir)
            if layout.exists && !force {
                throw CLIError(
                    "\(directory.dir): a CA already exists (\(layout.certificateFile)); use --force to replace it",
                    code: IdentityError.Code.caExists.rawValue)
            }
            let ca: CertificateAuthority
            switch (upstreamCert, upstreamKey) {
            case (nil, nil):
                ca = try CertificateAuthority.createRoot(trustDomain: trustDomain, keyType: keyType, ttl: ttl)
            case (let certFile?, let keyFile?):
                let upstreamChain = try Certificate.chain(contentsOfFile: certFile)
                let upstreamKey = try PrivateKey(contentsOfFile: keyFile)
                do {
                    ca = try CertificateAuthority.createIntermediate(
                        trustDomain: trustDomain, keyType: keyType, ttl: ttl, upstreamChain: upstreamChain,
                        upstreamKey: upstreamKey)
                } catch let error as IdentityError {
                    switch error.code {
                    case .keyMismatch: throw CLIError("--upstream-key \(keyFile): does not match --upstream-cert \(certFile)", code: error.code.rawValue)
                    case .ttlExceedsCA: throw CLIError("--ttl: \(error.message)", code: error.code.rawValue)
                    default: throw CLIError("--upstream-cert \(certFile): \(error.message)", code: error.code.rawValue)
                    }
                }
            default:
                throw CLIError("--upstream-cert and --upstream-key must be given together", code: "usage")
            }
            let bundle = try ca.save(directory: directory.dir, force: force)
            report(ca, bundle: bundle, layout: layout)
        }
    }

    private func report(_ ca: CertificateAuthority, bundle: TrustBundle, layout: CALayout) {
        if json {
            CLI.printJSON([
                "trust_domain": .string(ca.trustDomain.name), "kind": ca.isRoot ? "root" : "intermediate",
                "certificate": SVIDFormatting.json(ca.certificate),
                "files": [
                    "certificate": .string(layout.certificateFile), "key": .string(layout.keyFile),
                    "bundle_pem": .string(layout.bundlePEMFile), "bundle_spiffe": .string(layout.bundleJSONFile),
                ],
                "bundle_sequence": .int(bundle.sequence),
            ])
            return
        }
        print("Created \(ca.isRoot ? "root" : "intermediate") CA for trust domain \(ca.trustDomain) in \(directory.dir)")
        print("  subject      \(ca.certificate.subject)")
        if !ca.isRoot { print("  issuer       \(ca.certificate.issuer)") }
        print("  key type     \(ca.certificate.keyAlgorithmName)")
        print("  valid until  \(SVIDFormatting.date(ca.certificate.notAfter))")
        print("  certificate  \(layout.certificateFile)")
        print("  key          \(layout.keyFile) (mode 0600)")
        print("  bundle       \(layout.bundlePEMFile), \(layout.bundleJSONFile) (sequence \(bundle.sequence))")
    }
}
