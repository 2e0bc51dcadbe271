import ArgumentParser

/// `ward policy …`: check, compile, evaluate and test authorization policies.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Work with authorization policies.",
        subcommands: [PolicyCheckCommand.self, PolicyCompileCommand.self, PolicyEvalCommand.self,
            PolicyExplainCommand.self, PolicyTestCommand.self, PolicyBenchCommand.self])
}
