import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// The `ward` command: a service-mesh security engine.
@main
struct Ward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ward",
        abstract: "Ward: SPIFFE identities, authorization policies and an enforcing mTLS proxy.",
        version: "0.1.0",
        subcommands: [CACommand.self, SVIDCommand.self, PolicyCommand.self, ProxyCommand.self, DemoCommand.self]
    )

    /// Runs the command. Every failure, including a usage error (a missing or malformed flag), exits with
    /// status 1 and a message on stderr; help and version exit 0.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            let message = fullMessage(for: error)
            if !message.isEmpty { CLI.printError(message) }
            Glibc.exit(1)
        }
    }
}
