import ArgumentParser
import WardPolicy

/// `ward policy eval (DIR | --table FILE) (--request JSON | --requests FILE.jsonl)`: one JSON line per request.
struct PolicyEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval",
        abstract: "Decide requests; prints {\"decision\", \"policy\", \"rule\", \"dryRun\"} per request, in order.")

    @OptionGroup var source: PolicySourceOptions

    @Option(name: .long, help: "One request as JSON: {\"target\", \"principal\", \"method\", \"path\", ...}.")
    var request: String?

    @Option(name: .long, help: "A JSON Lines file of requests.")
    var requests: String?

    func run() throws {
        try CLI.run {
            let list: [EvalRequest]
            switch (request, requests) {
            case (let one?, nil): list = [try PolicyCLI.request(one)]
            case (nil, let file?): list = try PolicyCLI.requests(file: file)
            default: throw CLIError("give exactly one of --request JSON or --requests FILE.jsonl", code: "usage")
            }
            let compiled = try source.load()
            try PolicyCLI.checkTargets(list, compiled)
            var tables: [String: DecisionTable] = [:]
            var out = ""
            for item in list {
                let (decision, bad) = evaluate(item, compiled: compiled, tables: &tables)
                out += decisionJSON(decision, badRequest: bad).serialized(.compact) + "\n"
                if out.utf8.count > 1 << 16 {
                    print(out, terminator: "")
                    out = ""
                }
            }
            print(out, terminator: "")
        }
    }
}
