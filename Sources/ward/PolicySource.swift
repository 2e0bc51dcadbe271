import ArgumentParser
import Foundation
import WardJSON
import WardPolicy

/// `DIR | --table FILE`: where `eval`, `explain` and `bench` get their policies.
struct PolicySourceOptions: ParsableArguments {
    @Argument(help: "Directory of policy files (*.json; *.test.json and *.schema.json are skipped).")
    var directory: String?

    @Option(name: .long, help: "A compiled table written by `ward policy compile` (instead of DIR).")
    var table: String?

    /// Loads and verifies the policies; prints every error on stderr and fails when there is any.
    func load(lint: Bool = false) throws -> CompiledPolicies {
        switch (directory, table) {
        case (let dir?, nil): return try PolicyCLI.loadDirectory(dir, lint: lint)
        case (nil, let file?): return try CompiledPolicies.load(path: file)
        case (nil, nil): throw CLIError("give a policy directory or --table FILE", code: "usage")
        case (_?, _?): throw CLIError("give either a policy directory or --table FILE, not both", code: "usage")
        }
    }
}

/// Helpers shared by the `ward policy` commands.
enum PolicyCLI {
    /// Loads a directory; prints diagnostics (one line each) on stderr; fails on errors.
    static func loadDirectory(_ dir: String, lint: Bool, printWarnings: Bool = true) throws -> CompiledPolicies {
        let (set, diagnostics) = try PolicySet.load(directory: dir, lint: lint)
        for diagnostic in diagnostics where diagnostic.severity == .error || printWarnings {
            CLI.printError(diagnostic.description)
        }
        let errors = diagnostics.filter { $0.severity == .error }.count
        if errors > 0 {
            throw CLIError("\(errors) error\(errors == 1 ? "" : "s") in \(dir); nothing was compiled", code: "policy.invalid")
        }
        return CompiledPolicies(set: set)
    }

    /// Refuses requests for another workload than the one a narrowed table (`compile --target`) was built for:
    /// its other policies were dropped, so its answers for other workloads would be silently incomplete.
    static func checkTargets(_ requests: [EvalRequest], _ compiled: CompiledPolicies) throws {
        guard let target = compiled.target else { return }
        if let other = requests.first(where: { $0.target != target }) {
            throw CLIError("the table was compiled for \(target) only; request target \(other.target) needs a table compiled without --target or with --target \(other.target)", code: "policy.table.target")
        }
    }

    /// Reads a request given inline (`--request '{...}'`).
    static func request(_ text: String) throws -> EvalRequest {
        do { return try EvalRequest(text: text, source: "--request") } catch let error as JSONError {
            throw CLIError("--request: \(error.message)", code: error.code)
        } catch {
            throw CLIError("--request: \(error)", code: "request.invalid")
        }
    }

    /// Reads a JSON Lines file of requests (blank lines skipped); errors name the line.
    static func requests(file: String) throws -> [EvalRequest] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw CLIError("\(file): cannot read the file", code: "io")
        }
        var result: [EvalRequest] = []
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy(\.isWhitespace) { continue }
            do { result.append(try EvalRequest(text: String(line), source: file)) } catch let error as JSONError {
                throw CLIError("\(file):\(index + 1): invalid JSON: \(error.message)", code: error.code)
            } catch {
                throw CLIError("\(file):\(index + 1): \(error)", code: "request.invalid")
            }
        }
        return result
    }
}
