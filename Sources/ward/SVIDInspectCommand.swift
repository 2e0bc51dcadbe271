import ArgumentParser
import Foundation
import WardIdentity
import WardJSON

/// `ward svid inspect FILE`: what an SVID file holds, without judging trust.
struct SVIDInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show an SVID's SPIFFE ID, DNS names, serial, validity, key type, issuer and chain.")

    @Argument(help: "PEM file: the leaf, then any intermediates.")
    var file: String

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try CLI.run(json: json) {
            let chain = try Certificate.chain(contentsOfFile: file)
            let leaf = chain[0]
            // Inspection reports SVID-rule problems instead of failing on them.
            var problem: IdentityError?
            do { _ = try SVIDVerifier.checkLeaf(leaf) } catch let error as IdentityError { problem = error }
            if json {
                var object = SVIDFormatting.json(leaf).objectValue ?? [:]
                object["file"] = .string(file)
                object["svid_problem"] = problem.map { ["code": .string($0.code.rawValue), "message": .string($0.message)] } ?? .null
                object["chain"] = .array(chain.map { SVIDFormatting.json($0) })
                CLI.printJSON(.object(object))
                return
            }
            print("SPIFFE ID    \(leaf.spiffeID?.description ?? "(none)")")
            if let problem { print("problem      \(problem.message)") }
            print("DNS names    \(leaf.dnsSANs.isEmpty ? "(none)" : leaf.dnsSANs.joined(separator: ", "))")
            print("serial       \(leaf.serialHex)")
            print("valid        \(SVIDFormatting.date(leaf.notBefore)) to \(SVIDFormatting.date(leaf.notAfter))")
            print("time left    \(SVIDFormatting.timeLeft(leaf))")
            print("key type     \(leaf.keyAlgorithmName)")
            print("issuer       \(leaf.issuer)")
            print("sha256       \(leaf.sha256Fingerprint)")
            print("chain        \(chain.count) certificate\(chain.count == 1 ? "" : "s")")
            for (index, certificate) in chain.enumerated() {
                let name = certificate.spiffeID?.description ?? certificate.uriSANs.first ?? certificate.subject
                let role = index == 0 ? "leaf" : certificate.isCA ? "CA" : "not a CA"
                print("  [\(index)] \(name.isEmpty ? "(empty subject)" : name) (\(role), \(certificate.keyAlgorithmName), issuer \(certificate.issuer), until \(SVIDFormatting.date(certificate.notAfter)))")
            }
        }
    }
}
