import ArgumentParser
import WardIdentity

/// `ward ca bundle`: print the trust bundle of the CA in --dir.
struct CABundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle", abstract: "Print the trust bundle (PEM, or SPIFFE bundle JSON).")

    @OptionGroup var directory: CADirectoryOptions

    @Option(help: "pem or spiffe.")
    var format: String = "pem"

    func run() throws {
        try CLI.run {
            guard format == "pem" || format == "spiffe" else {
                throw CLIError("--format: expected pem or spiffe, got \"\(format)\"", code: "usage")
            }
            let layout = CALayout(directory: directory.dir)
            guard layout.exists else {
                throw CLIError(
                    "\(directory.dir): no CA here (\(layout.certificateFile) is missing)",
                    code: IdentityError.Code.missingCA.rawValue)
            }
            // The SPIFFE file carries the sequence number; the PEM file is derived from the same authorities.
            let bundle = try TrustBundle.load(contentsOfFile: layout.bundleJSONFile)
            print(format == "pem" ? bundle.pem : bundle.spiffeJSONText, terminator: "")
        }
    }
}
