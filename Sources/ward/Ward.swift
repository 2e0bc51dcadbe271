import ArgumentParser

/// The `ward` command: a service-mesh security engine.
@main
struct Ward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ward",
        abstract: "Ward: SPIFFE identities, authorization policies and an enforcing mTLS proxy.",
        version: "0.1.0",
        subcommands: [CACommand.self, SVIDCommand.self, PolicyCommand.self, ProxyCommand.self, DemoCommand.self]
    )
}
