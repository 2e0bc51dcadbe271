import ArgumentParser

/// `ward proxy`: the enforcing mTLS proxy.
struct ProxyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "proxy", abstract: "Run the enforcing mTLS proxy.")
}
