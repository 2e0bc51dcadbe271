import ArgumentParser

/// `ward ca …`: the certificate authority.
struct CACommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ca", abstract: "Run the SPIFFE certificate authority.")
}
