import ArgumentParser
import WardJSON
import WardPolicy

/// `ward policy check DIR [--json]`: validate and lint a policy directory.
struct PolicyCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check",
        abstract: "Validate and lint policies: errors and warnings; exit 1 on any error.")

    @Argument(help: "Directory of policy files.")
    var directory: String

    @Flag(name: .long, help: "Print one JSON object instead of lines.")
    var json = false

    func run() throws {
        try CLI.run(json: json) {
            let (set, diagnostics) = try PolicySet.load(directory: directory)
            let errors = diagnostics.filter { $0.severity == .error }.count
            let warnings = diagnostics.count - errors
            if json {
                CLI.printJSON([
                    "ok": .bool(errors == 0), "errors": .int(Int64(errors)), "warnings": .int(Int64(warnings)),
                    "policies": .int(Int64(set.policies.count)), "rules": .int(Int64(set.ruleCount)),
                    "diagnostics": .array(diagnostics.map {
                        ["severity": .string($0.severity.rawValue), "code": .string($0.code), "file": .string($0.file),
                            "location": .string($0.location), "message": .string($0.message)]
                    }),
                ])
            } else {
                for diagnostic in diagnostics { print(diagnostic.description) }
                print("\(directory): \(set.policies.count) policies, \(set.ruleCount) rules, \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")")
            }
            if errors > 0 { throw ExitCode.failure }
        }
    }
}
