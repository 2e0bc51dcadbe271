import ArgumentParser
import Foundation
import WardPolicy

/// `ward policy test DIR`: run the `*.test.json` cases against the directory's policies.
struct PolicyTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "test",
        abstract: "Run *.test.json cases (request + expected decision) against the policies; exit 1 on failure.")

    @Argument(help: "Directory of policies and *.test.json files.")
    var directory: String

    func run() throws {
        try CLI.run {
            let compiled = try PolicyCLI.loadDirectory(directory, lint: false)
            let files = try PolicySet.policyFiles(in: directory, suffix: ".test.json")
            if files.isEmpty { throw CLIError("\(directory): no *.test.json files found", code: "policy.test.none") }
            var tables: [String: DecisionTable] = [:]
            var passed = 0
            var failed = 0
            for file in files {
                let suite = try PolicyTestSuite(file: file, bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: file))))
                for result in suite.run(compiled, tables: &tables) {
                    if result.passed {
                        passed += 1
                        print("PASS \(file): \(result.name)")
                    } else {
                        failed += 1
                        print("FAIL \(file): \(result.name): \(result.detail)")
                    }
                }
            }
            print("\(passed + failed) cases: \(passed) passed, \(failed) failed")
            if failed > 0 { throw ExitCode.failure }
        }
    }
}
