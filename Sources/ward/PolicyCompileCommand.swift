import ArgumentParser
import Foundation
import WardIdentity
import WardPolicy

/// `ward policy compile DIR [--target ID] -o FILE`: write the verified on-disk table the proxy loads.
struct PolicyCompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compile",
        abstract: "Compile policies into a table file (canonical JSON with a SHA-256 content hash).")

    @Argument(help: "Directory of policy files.")
    var directory: String

    @Option(name: .long, help: "Keep only the policies that apply to this workload (a SPIFFE ID).")
    var target: String?

    @Option(name: .shortAndLong, help: "Where to write the table.")
    var output: String

    @Flag(name: .long, help: "Also print the table for people (and, with --target, its decision order).")
    var print = false

    func run() throws {
        try CLI.run {
            if let target {
                do { _ = try SpiffeID(target) } catch { throw CLIError("--target: \(error)", code: "spiffe_id.invalid") }
            }
            let all = try PolicyCLI.loadDirectory(directory, lint: true)
            let compiled = CompiledPolicies(set: all.set, target: target)
            do {
                try Data(compiled.serialized.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw CLIError("\(output): cannot write the table: \(error.localizedDescription)", code: "io")
            }
            Swift.print("wrote \(output): \(compiled.set.policies.count) policies, \(compiled.set.ruleCount) rules, sha256 \(compiled.sha256)")
            if print {
                Swift.print(compiled.description)
                if let target { Swift.print(compiled.table(for: target).description) }
            }
        }
    }
}

