import ArgumentParser

/// `ward svid …`: read and check X.509-SVIDs.
struct SVIDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "svid", abstract: "Inspect and verify X.509-SVIDs.",
        subcommands: [SVIDInspectCommand.self, SVIDVerifyCommand.self])
}
