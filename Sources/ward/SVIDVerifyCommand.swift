import ArgumentParser
import Foundation
import WardIdentity
import WardJSON

/// `ward svid verify FILE --bundle BUNDLE`: validate an SVID as a peer would.
struct SVIDVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Validate an SVID against a trust bundle (path validation, then the SPIFFE leaf rules).",
        discussion: "Exits 0 and prints the SPIFFE ID when valid; otherwise exits 1 with the reason.")

    @Argument(help: "PEM file: the leaf, then any intermediates.")
    var file: String

    @Option(help: "Trust bundle of the leaf's trust domain: PEM or SPIFFE bundle JSON.")
    var bundle: String

    @Option(help: "Require exactly this SPIFFE ID.")
    var id: String?

    @Option(help: "Verify at this time (RFC 3339, e.g. 2030-01-01T00:00:00Z) instead of now.")
    var at: String?

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try CLI.run(json: json) {
            let expected = try id.map { try CAFlags.spiffeID($0, flag: "--id") }
            var time = Date()
            if let at {
                guard let parsed = Timestamp.parse(at) else {
                    throw CLIError("--at: expected an RFC 3339 time like 2030-01-01T00:00:00Z, got \"\(at)\"")
                }
                time = parsed
            }
            let chain = try Certificate.chain(contentsOfFile: file)
            let verified: SVIDVerifier.Verified
            do {
                // The leaf rules come first: they also say which trust domain's bundle applies. A bundle file
                // whose authorities name no trust domain is taken as the leaf's own.
                let leafDomain = try SVIDVerifier.checkLeaf(chain[0]).trustDomain
                let trust = try TrustBundle.load(contentsOfFile: bundle, fallbackTrustDomain: leafDomain)
                verified = try SVIDVerifier(bundles: [trust]).verify(chain, at: time, expectedID: expected)
            } catch let error as IdentityError where error.code.rawValue.hasPrefix("svid.") {
                throw CLIError("\(file): \(error.message)", code: error.code.rawValue)
            }
            if json {
                CLI.printJSON([
                    "valid": true, "spiffe_id": .string(verified.id.description),
                    "not_after": .string(SVIDFormatting.date(chain[0].notAfter)),
                    "path": .array(verified.path.map { .string($0.subject) }),
                ])
            } else {
                print(verified.id.description)
            }
        }
    }
}
